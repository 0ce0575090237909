package dev.gpufleet.worker.proxy;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy alone, in front of a JDK HTTP server: what passes through unchanged and what is refused. */
class BackendProxyTest {
    private static final String KEY = "gpf-the-instance-key";

    private HttpServer backend;
    private BackendProxies proxies;
    private int port;

    @BeforeEach
    void start() throws IOException {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.createContext("/echo", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String answer = exchange.getRequestMethod() + " " + exchange.getRequestURI() + " host="
                    + exchange.getRequestHeaders().getFirst("Host") + " x-trace="
                    + exchange.getRequestHeaders().getFirst("X-Trace") + " body=" + new String(body,
                    StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Backend", "yes");
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(201, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        backend.start();
        proxies = new BackendProxies(null);
        port = freePort();
        proxies.open("i-1", "127.0.0.1", port, backend.getAddress().getPort(), new BackendKeyCheck(List.of(KEY)));
    }

    @AfterEach
    void stop() {
        proxies.close();
        backend.stop(0);
    }

    @Test
    void forwardsMethodPathQueryHeadersAndBodiesBothWays() throws IOException {
        String answer = exchange("POST /echo?a=1&b=2 HTTP/1.1\r\nHost: 10.0.0.5:40001\r\nAuthorization: Bearer " + KEY
                + "\r\nX-Trace: t-7\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        assertTrue(answer.startsWith("HTTP/1.1 201 "), answer);
        assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("\r\nx-backend: yes\r\n"), answer);
        assertTrue(answer.endsWith("POST /echo?a=1&b=2 host=10.0.0.5:40001 x-trace=t-7 body=hello"), answer);
    }

    @Test
    void forwardsAChunkedRequestBody() throws IOException {
        String answer = exchange("PUT /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        assertTrue(answer.endsWith("PUT /echo host=x x-trace=null body=abcde"), answer);
    }

    @Test
    void refusesWithoutTheKeyInTheOpenAiErrorShape() throws IOException {
        String answer = exchange("GET /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nConnection: close"
                + "\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 401 "), answer);
        assertTrue(answer.endsWith(BackendProxy.UNAUTHORIZED), answer);
        assertTrue(answer.contains("{\"error\":{\"message\":"), answer);
    }

    @Test
    void answers502WhenTheBackendIsGone() throws IOException {
        backend.stop(0);
        String answer = exchange("GET /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
        assertTrue(answer.endsWith(BackendProxy.BAD_GATEWAY), answer);
    }

    private String exchange(String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
