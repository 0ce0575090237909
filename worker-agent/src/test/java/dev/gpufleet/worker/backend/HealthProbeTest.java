package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The probe against real sockets: a backend that answers, refuses, hangs, or speaks something else. */
class HealthProbeTest {
    private static final HealthProbe PROBE = new HealthProbe(Duration.ofMillis(300));

    static Stream<Arguments> answers() {
        return Stream.of(
                arguments("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", new HealthProbe.Result(true, "HTTP 200")),
                arguments("HTTP/1.0 200 OK\r\n\r\n", new HealthProbe.Result(true, "HTTP 200")),
                arguments("HTTP/1.1 503 Service Unavailable\r\n\r\n", new HealthProbe.Result(false, "HTTP 503")),
                arguments("HTTP/1.1 401 Unauthorized\r\n\r\n", new HealthProbe.Result(false, "HTTP 401")),
                arguments("SSH-2.0-OpenSSH_9.6\r\n", new HealthProbe.Result(false,
                        "not an HTTP answer: SSH-2.0-OpenSSH_9.6")),
                arguments("", new HealthProbe.Result(false,
                        "IOException: the connection closed without an answer")));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("answers")
    void readsTheStatus(String answer, HealthProbe.Result expected) throws Exception {
        AtomicReference<String> request = new AtomicReference<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread backend = new Thread(() -> {
                try (Socket client = server.accept()) {
                    request.set(readHead(client.getInputStream()));
                    client.getOutputStream().write(answer.getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    request.set("failed: " + e);
                }
            });
            backend.start();
            assertEquals(expected, PROBE.probe("127.0.0.1", server.getLocalPort()).get(5, TimeUnit.SECONDS));
            backend.join(5_000);
            assertEquals("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + server.getLocalPort()
                    + "\r\nConnection: close\r\n\r\n", request.get());
        }
    }

    @Test
    void aHungBackendIsAFailureAfterTheTimeout() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // the kernel accepts the connection; nothing ever answers
            long started = System.nanoTime();
            HealthProbe.Result result = PROBE.probe("127.0.0.1", server.getLocalPort()).get(5, TimeUnit.SECONDS);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(new HealthProbe.Result(false, "no answer within 300 ms"), result);
            assertTrue(millis >= 250 && millis < 3_000, "took " + millis + " ms");
        }
    }

    @Test
    void aClosedPortIsRefused() throws Exception {
        int port;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = server.getLocalPort();
        }
        assertEquals(new HealthProbe.Result(false, "connection refused"),
                PROBE.probe("127.0.0.1", port).get(5, TimeUnit.SECONDS));
    }

    @Test
    void anIpv6HostInBracketsIsReached() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            Thread backend = new Thread(() -> {
                try (Socket client = server.accept()) {
                    readHead(client.getInputStream());
                    client.getOutputStream().write("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the assertion below fails instead
                }
            });
            backend.start();
            assertEquals(new HealthProbe.Result(true, "HTTP 200"),
                    PROBE.probe(HealthProbe.probeHost("::1"), server.getLocalPort()).get(5, TimeUnit.SECONDS));
            backend.join(5_000);
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
