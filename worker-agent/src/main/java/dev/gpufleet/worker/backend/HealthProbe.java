package dev.gpufleet.worker.backend;

import dev.gpufleet.events.Endpoints;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /health} of a backend. Every probe has a short timeout: a hung engine accepts the connection and
 * never answers, and that must count as a failure, not block the next probe.
 * <p>
 * A plain HTTP/1.1 exchange on a socket, not the JDK's HttpClient: that client builds a TLS context when it is
 * created, about 450 classes (several MB of the agent's RSS, bench/README.md) for probes that only ever go to a
 * backend on this host over plain HTTP.
 */
public final class HealthProbe {
    private static final int MAX_STATUS_LINE = 512;

    private final int timeoutMillis;
    private final ExecutorService probes;

    /** @param healthy whether the backend answered 200; {@code detail} says what happened otherwise */
    public record Result(boolean healthy, String detail) {
    }

    public HealthProbe(Duration timeout) {
        this.timeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        // threads only while probes run; an idle one ends after a minute
        this.probes = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                task -> {
                    Thread thread = new Thread(task, "health-probe");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** The address to probe a backend at: a wildcard listen address is reached through loopback. */
    public static String probeHost(String backendHost) {
        if (backendHost == null || backendHost.isBlank() || backendHost.equals("0.0.0.0")
                || backendHost.equals("::") || backendHost.equals("[::]")) {
            return "127.0.0.1";
        }
        return Endpoints.bracketed(backendHost);
    }

    public CompletableFuture<Result> probe(String host, int port) {
        return CompletableFuture.supplyAsync(() -> exchange(host, port), probes);
    }

    private Result exchange(String host, int port) {
        String address = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = statusLine(socket.getInputStream());
            String[] words = status.split(" ");
            if (words.length < 2 || !words[0].startsWith("HTTP/") || !words[1].matches("[0-9]{3}")) {
                return new Result(false, "not an HTTP answer: " + status);
            }
            return words[1].equals("200") ? new Result(true, "HTTP 200") : new Result(false, "HTTP " + words[1]);
        } catch (SocketTimeoutException e) {
            return new Result(false, "no answer within " + timeoutMillis + " ms");
        } catch (ConnectException e) {
            return new Result(false, "connection refused");
        } catch (IOException | RuntimeException e) {
            return new Result(false, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage()));
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n' && line.length() < MAX_STATUS_LINE; b = in.read()) {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        if (line.length() == 0) {
            throw new IOException("the connection closed without an answer");
        }
        return line.toString();
    }
}
