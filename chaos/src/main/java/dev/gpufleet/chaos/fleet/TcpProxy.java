package dev.gpufleet.chaos.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay between one client and its server that can be partitioned: {@link #partition()} stops passing bytes
 * either way and leaves every connection open, and new connections are taken but never reach the server, which is
 * what a client sees when the network between them drops packets (nothing is refused or reset, everything waits).
 * {@link #heal()} lets the bytes flow again on the same connections, as a healed network does.
 */
public final class TcpProxy implements AutoCloseable {
    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean partitioned;
    private volatile boolean closed;

    private TcpProxy(String name, InetSocketAddress target, ServerSocket listener) {
        this.name = name;
        this.target = target;
        this.listener = listener;
    }

    /** Listens on a free loopback port and relays to {@code targetHost:targetPort}. */
    public static TcpProxy start(String name, String targetHost, int targetPort) {
        try {
            ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
            TcpProxy proxy = new TcpProxy(name, new InetSocketAddress(targetHost, targetPort), listener);
            Thread accept = new Thread(proxy::acceptLoop, "proxy-" + name);
            accept.setDaemon(true);
            accept.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start proxy " + name, e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    public boolean partitioned() {
        return partitioned;
    }

    public void partition() {
        partitioned = true;
    }

    public void heal() {
        synchronized (gate) {
            partitioned = false;
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                client.setTcpNoDelay(true);
                sockets.add(client);
                Thread t = new Thread(() -> connect(client), "proxy-" + name + "-connect");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    sleep(50);
                }
            }
        }
    }

    private void connect(Socket client) {
        Socket server = new Socket();
        try {
            awaitOpen();
            server.connect(target, 5_000);
            server.setTcpNoDelay(true);
            sockets.add(server);
            relay(client, server, name + "-up");
            relay(server, client, name + "-down");
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    private void relay(Socket from, Socket to, String threadName) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (!closed) {
                    awaitOpen();
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    awaitOpen(); // bytes read just before a partition wait for the heal, as they would in the network
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: close both below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, "proxy-" + threadName);
        t.setDaemon(true);
        t.start();
    }

    private void awaitOpen() throws SocketException {
        synchronized (gate) {
            while (partitioned && !closed) {
                try {
                    gate.wait(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SocketException("interrupted");
                }
            }
        }
        if (closed) {
            throw new SocketException("proxy closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        heal();
        closeQuietly(listener);
        sockets.forEach(TcpProxy::closeQuietly);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
