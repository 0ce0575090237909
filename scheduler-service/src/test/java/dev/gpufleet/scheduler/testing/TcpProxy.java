package dev.gpufleet.scheduler.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a server that a test can cut like a network partition: {@link #blackHole()} stops every
 * byte in both directions while keeping every connection open (neither side learns anything, as when a link
 * drops packets), and new connections get nowhere; {@link #heal()} resets the connections that were cut, as a
 * partition's end does, and forwards new ones again.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean blackHoled;
    private volatile boolean closed;

    private final class Link {
        final Socket client;
        volatile Socket upstream;
        volatile boolean cut;

        Link(Socket client) {
            this.client = client;
        }

        void closeBoth() {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "tcp-proxy-accept-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Every byte from now on is dropped, both ways; connections stay open. */
    public void blackHole() {
        blackHoled = true;
        links.forEach(link -> link.cut = true);
    }

    /** Resets the connections that were cut and forwards again. */
    public void heal() {
        for (Link link : links) {
            if (link.cut) {
                link.closeBoth();
                links.remove(link);
            }
        }
        blackHoled = false;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Link link = new Link(client);
                links.add(link);
                if (blackHoled) {
                    link.cut = true;
                    pump(link, client, null); // reads and drops whatever the client sends
                    continue;
                }
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                link.upstream = upstream;
                pump(link, client, upstream);
                pump(link, upstream, client);
            } catch (IOException e) {
                if (!closed) {
                    continue;
                }
                return;
            }
        }
    }

    /** Copies from {@code from} to {@code to} until either closes; drops what arrives while the link is cut. */
    private void pump(Link link, Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream()) {
                OutputStream out = to == null ? null : to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!link.cut && out != null) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException ignored) {
                // the other side or the test closed it
            }
            // a side that ends while cut is not told to the other: a partition carries no FIN either
            if (!link.cut) {
                link.closeBoth();
                links.remove(link);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        links.forEach(Link::closeBoth);
    }
}
