package dev.gpufleet.gateway.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A fake model-registry and a fake scheduler-service on loopback for the admin API's forwarding. Each answers
 * with what reached it ({@code service, method, uri, headers, body}), so a test reads through the gateway what was
 * forwarded. Request headers steer them: {@code x-fake-status: 409} answers that status with an error body,
 * {@code x-fake-drop} drops the connection unanswered. The scheduler lists three workers, two a page.
 */
public class FakeServicesResource implements QuarkusTestResourceLifecycleManager {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private HttpServer registry;
    private HttpServer scheduler;

    @Override
    public Map<String, String> start() {
        registry = server("model-registry");
        scheduler = server("scheduler-service");
        return Map.of(
                "gpufleet.gateway.registry-url", "http://127.0.0.1:" + registry.getAddress().getPort(),
                "gpufleet.gateway.scheduler-url", "http://127.0.0.1:" + scheduler.getAddress().getPort());
    }

    private HttpServer server(String name) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(threads);
            server.createContext("/", exchange -> handle(name, exchange));
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void handle(String service, HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
        if (headers.containsKey("x-fake-drop")) {
            throw new IllegalStateException("dropping the connection as asked");
        }
        String status = headers.get("x-fake-status");
        if (status != null) {
            send(exchange, Integer.parseInt(status), "{\"code\":" + status + ",\"reason\":\"Conflict\","
                    + "\"message\":\"" + service + " says no\"}");
            return;
        }
        String uri = exchange.getRequestURI().toString();
        if (service.equals("scheduler-service") && exchange.getRequestURI().getPath().equals("/api/v1/workers")
                && exchange.getRequestMethod().equals("GET") && !headers.containsKey("x-echo")) {
            boolean second = uri.contains("page=2");
            String workers = second
                    ? worker("w-3", "node-c", gpu(0, 24))
                    : worker("w-1", "node-a", gpu(0, 80) + "," + gpu(1, 80)) + "," + worker("w-2", "node-b", "");
            send(exchange, 200, "{\"items\":[" + workers + "],\"pagination\":{\"page\":" + (second ? 2 : 1)
                    + ",\"per_page\":2,\"total\":3,\"total_pages\":2}}");
            return;
        }
        Map<String, Object> echo = new LinkedHashMap<>();
        echo.put("id", "echo-" + UUID.randomUUID());
        echo.put("service", service);
        echo.put("method", exchange.getRequestMethod());
        echo.put("uri", uri);
        echo.put("headers", headers);
        echo.put("body", new String(body, StandardCharsets.UTF_8));
        exchange.getResponseHeaders().add("Location", "/api/v1/echo/1");
        send(exchange, exchange.getRequestMethod().equals("POST") ? 201 : 200, JSON.writeValueAsString(echo));
    }

    private static String worker(String id, String name, String gpus) {
        return "{\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"state\":\"READY\",\"gpus\":[" + gpus + "]}";
    }

    private static String gpu(int index, long gib) {
        return "{\"index\":" + index + ",\"vendor\":\"nvidia\",\"type\":\"cuda\",\"name\":\"GPU\",\"uuid\":\"GPU-"
                + index + "\",\"memory_total_bytes\":" + (gib << 30) + ",\"memory_used_bytes\":1024,"
                + "\"utilization_percent\":12.5}";
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void stop() {
        for (HttpServer server : List.of(registry, scheduler)) {
            if (server != null) {
                server.stop(0);
            }
        }
        threads.shutdownNow();
    }
}
