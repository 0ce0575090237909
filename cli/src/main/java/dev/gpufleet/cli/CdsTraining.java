package dev.gpufleet.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The training run behind the CLI's class-data-sharing archive: the launcher script runs this once per build and
 * JDK under {@code -XX:ArchiveClassesAtExit}, so that the classes a real command loads (picocli's model, Jackson,
 * the HTTP client, the tables) come mapped from the archive instead of being loaded and verified on every start.
 * It runs the usual commands against a stand-in gateway on a loopback port that answers with canned objects in the
 * API's shapes; nothing it prints is kept.
 */
public final class CdsTraining {
    private static final String MODEL = """
            {"id": "00000000-0000-0000-0000-000000000001", "name": "demo", "source": {"type": "local_path",
             "path": "/models/demo.gguf"}, "backend": "llama-box", "backend_parameters": ["--ctx-size=512"],
             "env": {}, "replicas": 1, "categories": [], "placement_strategy": "spread", "cpu_offloading": true,
             "distributed_inference": false, "worker_selector": {}, "gpu_selector": [], "restart_on_error": true,
             "analysis": {"state": "ANALYZED", "facts": {"architecture": "llama", "parameter_count": 1000,
             "context_length": 512}}, "estimate": {"ram_bytes": 1048576, "vram_bytes": 0}, "revision": 1,
             "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}""";
    private static final String INSTANCE = """
            {"id": "00000000-0000-0000-0000-000000000002", "name": "demo-0a1b2c", "model_id":
             "00000000-0000-0000-0000-000000000001", "model_name": "demo", "state": "RUNNING", "state_since":
             "2026-01-01T00:00:00Z", "worker_id": "w1", "worker_name": "host", "gpu_indexes": [0], "claim":
             {"ram_bytes": 1048576, "vram_bytes_by_gpu": {"0": 1048576}}, "backend": "llama-box", "endpoint":
             "127.0.0.1:40000", "port": 40000, "pid": 1, "restart_count": 0, "revision": 1,
             "created_at": "2026-01-01T00:00:00Z", "placement": {"fits": true, "rationale": "the only worker"}}""";
    private static final String WORKER = """
            {"id": "w1", "name": "host", "address": "127.0.0.1", "agent_port": 10150, "os": "linux", "arch": "amd64",
             "labels": {"os": "linux"}, "cpu_cores": 2, "cpu_utilization_percent": 5.0, "memory_total_bytes":
             1073741824, "memory_used_bytes": 536870912, "gpus": [{"index": 0, "vendor": "nvidia", "type": "cuda",
             "name": "GPU", "memory_total_bytes": 1073741824, "memory_used_bytes": 0, "utilization_percent": 0}],
             "state": "READY", "cordoned": false, "draining": false, "last_heartbeat_at": "2026-01-01T00:00:00Z",
             "heartbeat_interval_seconds": 5}""";
    private static final String KEY = """
            {"id": "00000000-0000-0000-0000-000000000003", "name": "ci", "user_id":
             "00000000-0000-0000-0000-000000000004", "user_name": "admin", "created_at": "2026-01-01T00:00:00Z",
             "requests_per_minute": 0, "tokens_per_minute": 0, "status": "active", "key": "gpf_x"}""";
    private static final String USER = """
            {"id": "00000000-0000-0000-0000-000000000004", "name": "admin", "admin": true,
             "created_at": "2026-01-01T00:00:00Z", "disabled": false}""";
    private static final String USAGE = """
            {"key_id": "00000000-0000-0000-0000-000000000003", "model": "demo", "day": "2026-01-01",
             "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30, "requests": 1}""";

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", CdsTraining::answer);
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            Path cwd = Path.of("").toAbsolutePath();
            List<String[]> commands = List.of(
                    new String[]{"status"}, new String[]{"models", "list"}, new String[]{"models", "list", "-o", "json"},
                    new String[]{"models", "show", "demo"}, new String[]{"models", "show", "nothing"},
                    new String[]{"models", "evaluate", "x", "--path", "/m.gguf"},
                    new String[]{"models", "deploy", "x", "--path", "/m.gguf"}, new String[]{"models", "scale", "demo", "2"},
                    new String[]{"instances", "list"}, new String[]{"instances", "show", "demo-0a1b2c"},
                    new String[]{"workers", "list"}, new String[]{"workers", "show", "host"},
                    new String[]{"workers", "cordon", "host"}, new String[]{"keys", "list"},
                    new String[]{"keys", "create", "ci"}, new String[]{"users", "list"}, new String[]{"usage"},
                    new String[]{"chat", "demo", "hello"}, new String[]{"logs", "demo-0a1b2c"},
                    new String[]{"models", "list", "--bad-option"}, new String[]{"--help"},
                    new String[]{"models", "deploy", "--help"});
            for (String[] command : commands) {
                Context ctx = new Context(Map.of("GPUFLEET_SERVER", url, "GPUFLEET_API_KEY", "training"), cwd, cwd,
                        cwd, new ByteArrayInputStream(new byte[0]), nowhere, nowhere, false);
                Gpufleet.run(ctx, command);
            }
        } finally {
            server.stop(0);
        }
    }

    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        exchange.getRequestBody().readAllBytes();
        String body;
        int status = 200;
        String type = "application/json";
        if (path.equals("/v1/chat/completions")) {
            type = "text/event-stream";
            body = "data: {\"object\": \"chat.completion.chunk\", \"choices\": [{\"index\": 0, \"delta\": "
                    + "{\"content\": \"hi\"}}]}\n\ndata: {\"choices\": [], \"usage\": {\"prompt_tokens\": 1, "
                    + "\"completion_tokens\": 1}}\n\ndata: [DONE]\n\n";
        } else if (path.endsWith("/logs")) {
            type = "text/plain";
            body = "a log line\n";
        } else if (path.equals("/api/v1/models") && exchange.getRequestMethod().equals("POST")) {
            status = 201;
            body = MODEL;
        } else if (path.equals("/api/v1/model-evaluations")) {
            body = "{\"results\": [{\"name\": \"x\", \"compatible\": true, \"messages\": [], \"placement\": "
                    + "{\"fits\": true, \"worker_name\": \"host\", \"gpu_indexes\": [0]}}]}";
        } else if (path.startsWith("/api/v1/models/")) {
            body = MODEL;
        } else if (path.startsWith("/api/v1/instances/")) {
            body = INSTANCE;
        } else if (path.startsWith("/api/v1/workers/")) {
            body = WORKER;
        } else if (path.equals("/api/v1/api-keys") && exchange.getRequestMethod().equals("POST")) {
            status = 201;
            body = KEY;
        } else {
            String item = switch (path) {
                case "/api/v1/models" -> exchange.getRequestURI().getQuery().contains("search=nothing") ? null : MODEL;
                case "/api/v1/instances" -> INSTANCE;
                case "/api/v1/workers" -> WORKER;
                case "/api/v1/api-keys" -> KEY;
                case "/api/v1/users" -> USER;
                case "/api/v1/usage" -> USAGE;
                default -> "";
            };
            if ("".equals(item)) {
                status = 404;
                body = "{\"code\": 404, \"reason\": \"Not Found\", \"message\": \"nothing at " + path + "\"}";
            } else {
                body = "{\"items\": [" + (item == null ? "" : item) + "], \"pagination\": {\"page\": 1, "
                        + "\"per_page\": 500, \"total\": " + (item == null ? 0 : 1) + ", \"total_pages\": 1}}";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", type);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
