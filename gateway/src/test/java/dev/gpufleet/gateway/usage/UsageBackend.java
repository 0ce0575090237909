package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible backend on loopback that reports usage like vLLM and llama.cpp: in the answer's
 * {@code usage}, and for a stream that asks with {@code stream_options.include_usage} in a last chunk with no
 * choices. Prompt tokens are always {@value #PROMPT_TOKENS}; each content chunk is one completion token.
 * {@code "break_after": n} drops the connection after n chunks.
 */
final class UsageBackend implements AutoCloseable {
    static final int PROMPT_TOKENS = 7;
    private static final ObjectMapper JSON = new ObjectMapper();

    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final int chunks;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    UsageBackend(int chunks) throws IOException {
        this.chunks = chunks;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    static String token(int i) {
        return "tok" + i + " ";
    }

    private void handle(HttpExchange exchange) throws IOException {
        JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
        received.add(request);
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/v1/embeddings")) {
            send(exchange, "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.5]}],"
                    + "\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}");
            return;
        }
        if (!request.path("stream").asBoolean()) {
            send(exchange, "{\"id\":\"c-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                    + "{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":\"stop\"}],\"usage\":"
                    + "{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":3,\"total_tokens\":"
                    + (PROMPT_TOKENS + 3) + "}}");
            return;
        }
        int breakAfter = request.path("break_after").asInt(-1);
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < chunks; i++) {
            if (i == breakAfter) {
                throw new IllegalStateException("backend crashed");
            }
            out.write(("data: {\"id\":\"c-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\"" + token(i) + "\"},\"finish_reason\":null}]}\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
        if (request.path("stream_options").path("include_usage").asBoolean()) {
            out.write(("data: {\"id\":\"c-1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
                    + "{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":" + chunks
                    + ",\"total_tokens\":" + (PROMPT_TOKENS + chunks) + "}}\n\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.close();
    }

    private static void send(HttpExchange exchange, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
