package dev.gpufleet.gateway.forwarding;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The keep-alive connections of one event loop to one backend endpoint, used on that loop only (no locks). A call
 * takes the connection released last (the one least likely to have been closed by the backend for being idle),
 * else opens one while fewer than {@code maxConnections} are open or opening, else waits in line for the next one
 * released. Idle connections are closed after the keep-alive timeout.
 */
final class BackendPool {
    private final BackendClient.LoopPools owner;
    final BackendEndpoint endpoint;
    /** Resolved for an IP literal; for a host name, resolved at each connect. */
    private final InetSocketAddress address;
    private final Bootstrap bootstrap;
    private final int maxConnections;
    private final long keepAliveNanos;
    /** First: released last. */
    private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<BackendCall> waiting = new ArrayDeque<>();
    /** Every connection open or opening, to close them all on shutdown. */
    private final Set<BackendConnection> all = new HashSet<>();
    /** Open or opening. */
    private int open;
    private boolean sweepScheduled;

    BackendPool(BackendClient.LoopPools owner, BackendEndpoint endpoint, InetSocketAddress address,
                Bootstrap bootstrap, int maxConnections, long keepAliveNanos) {
        this.owner = owner;
        this.endpoint = endpoint;
        this.address = address;
        this.bootstrap = bootstrap;
        this.maxConnections = maxConnections;
        this.keepAliveNanos = keepAliveNanos;
    }

    EventLoop loop() {
        return owner.loop;
    }

    void acquire(BackendCall call) {
        long now = System.nanoTime();
        BackendConnection connection;
        while ((connection = idle.pollFirst()) != null) {
            if (connection.usable(now, keepAliveNanos)) {
                connection.carry(call);
                return;
            }
            connection.close(); // its closing comes back through closed(), which counts it out
        }
        if (open < maxConnections) {
            connect(call);
        } else {
            waiting.addLast(call);
        }
    }

    private void connect(BackendCall call) {
        open++;
        ChannelFuture connecting = bootstrap.connect(address);
        Channel channel = connecting.channel();
        BackendConnection connection = new BackendConnection(this, channel);
        channel.pipeline().addLast(connection);
        all.add(connection);
        connecting.addListener(future -> {
            if (future.isSuccess()) {
                if (call.done()) {
                    released(connection); // abandoned meanwhile: the next caller's
                } else {
                    connection.carry(call);
                }
                return;
            }
            // a channel that never connected is not counted by closed(): it was never active
            if (connection.countedOut()) {
                return;
            }
            connection.markCountedOut();
            open--;
            all.remove(connection);
            Throwable cause = future.cause();
            call.failed(cause == null ? new ConnectException("could not connect to " + endpoint) : cause);
            serveWaiting();
        });
    }

    /** An answer ended on a connection that stays open: the next waiting call takes it, else it goes idle. */
    void released(BackendConnection connection) {
        BackendCall next;
        while ((next = waiting.pollFirst()) != null) {
            if (!next.done()) {
                connection.carry(next);
                return;
            }
        }
        connection.idleSince(System.nanoTime());
        idle.addFirst(connection);
        scheduleSweep();
    }

    /** A connection closed (by either side, in use or idle). */
    void closed(BackendConnection connection) {
        if (connection.countedOut()) {
            return;
        }
        connection.markCountedOut();
        open--;
        all.remove(connection);
        idle.remove(connection);
        serveWaiting();
    }

    /** Nothing open, opening or waiting: the pool can be dropped (a later call makes a new one). */
    boolean unused() {
        return open == 0 && waiting.isEmpty();
    }

    private void serveWaiting() {
        while (open < maxConnections) {
            BackendCall next = waiting.pollFirst();
            if (next == null) {
                return;
            }
            if (!next.done()) {
                connect(next);
            }
        }
    }

    private void scheduleSweep() {
        if (!sweepScheduled) {
            sweepScheduled = true;
            loop().schedule(this::sweep, keepAliveNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes the connections idle past the keep-alive timeout; runs while any are idle. */
    private void sweep() {
        sweepScheduled = false;
        long now = System.nanoTime();
        Iterator<BackendConnection> oldestFirst = idle.descendingIterator();
        while (oldestFirst.hasNext()) {
            BackendConnection connection = oldestFirst.next();
            if (connection.usable(now, keepAliveNanos)) {
                break;
            }
            oldestFirst.remove();
            connection.close();
        }
        BackendConnection oldest = idle.peekLast();
        if (oldest != null) {
            sweepScheduled = true;
            long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(1), oldest.idleSince() + keepAliveNanos - now);
            loop().schedule(this::sweep, wait, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes every connection (a call in progress fails); calls still waiting fail. */
    void closeAll() {
        BackendCall next;
        while ((next = waiting.pollFirst()) != null) {
            next.failed(new IllegalStateException("the gateway is shutting down"));
        }
        for (BackendConnection connection : all.toArray(new BackendConnection[0])) {
            connection.close();
        }
    }

    int openConnections() {
        return open;
    }

    int idleConnections() {
        return idle.size();
    }
}
