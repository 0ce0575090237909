package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A stand-in for llama.cpp's OpenAI-compatible server on a free local port: JSON answers for plain requests, SSE
 * chunks {@code chunkDelay} apart (then {@code data: [DONE]}) for {@code "stream": true}. It records what reached
 * it and when it wrote each chunk, so a test can tell what the gateway forwarded and how promptly.
 *
 * <p>Request hints it obeys: {@code "max_tokens": -1} → 400 like llama.cpp; {@code "break_after": n} → the
 * connection drops after n chunks, without the end of the stream; {@code "stall_after": n} → after n chunks the
 * stream stays open and silent for a minute; {@code "hang_ms": n} → nothing for n ms first.
 * {@link #forcedStatus}, when set, answers every request with that status. Besides chat, completions and
 * embeddings it answers rerank, image generation, speech (binary) and multipart transcriptions.
 */
final class FakeLlamaServer implements AutoCloseable {
    /** What arrived: the path, the headers (lower-case names) and the body as sent. */
    record Received(String path, Map<String, String> headers, String body, byte[] raw) {
    }

    /** The bytes of every speech answer. */
    static final byte[] SPEECH = speech();

    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final List<Received> received = new CopyOnWriteArrayList<>();
    /** System.nanoTime() after each SSE event left (the last one is [DONE]). */
    final List<Long> chunkSentAt = new CopyOnWriteArrayList<>();
    /** Streams the other side broke off while this server was still writing. */
    final AtomicInteger abortedStreams = new AtomicInteger();
    final AtomicInteger streamsInProgress = new AtomicInteger();
    /** When not 0, every request is answered with this status and an error body. */
    volatile int forcedStatus;
    /** When set, a request without {@code Authorization: Bearer <this>} is answered 401, as llama.cpp does. */
    volatile String requiredKey;
    private final int chunks;
    private final Duration chunkDelay;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    FakeLlamaServer(String name, int chunks, Duration chunkDelay) throws IOException {
        this.name = name;
        this.chunks = chunks;
        this.chunkDelay = chunkDelay;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    String endpoint() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** The content of every chunk of a stream, in order: what a client should put back together. */
    String streamedText() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            text.append(token(i));
        }
        return text.toString();
    }

    String token(int i) {
        return name + "-token" + i + " ";
    }

    List<String> paths() {
        return received.stream().map(Received::path).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] raw = exchange.getRequestBody().readAllBytes();
        String body = new String(raw, StandardCharsets.UTF_8);
        Map<String, String> headers = exchange.getRequestHeaders().entrySet()
                .stream().collect(Collectors.toMap(e -> e.getKey().toLowerCase(), e -> String.join(",", e.getValue()),
                        (a, b) -> a + "," + b));
        received.add(new Received(exchange.getRequestURI().toString(), headers, body, raw));
        String key = requiredKey;
        if (key != null && !("Bearer " + key).equals(headers.get("authorization"))) {
            send(exchange, 401, "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\","
                    + "\"type\":\"authentication_error\"}}");
            return;
        }
        if (forcedStatus != 0) {
            send(exchange, forcedStatus, "{\"error\":{\"message\":\"" + name + " is failing\"}}");
            return;
        }
        if (headers.getOrDefault("content-type", "").startsWith("multipart/form-data")) {
            send(exchange, 200, "{\"text\":\"transcribed by " + name + "\"}");
            return;
        }
        JsonNode request = JSON.readTree(body);
        long hang = request.path("hang_ms").asLong(0);
        if (hang > 0) {
            try {
                TimeUnit.MILLISECONDS.sleep(hang);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.close();
                return;
            }
        }
        if (request.path("max_tokens").asInt(1) < 0) {
            send(exchange, 400, "{\"error\":{\"code\":400,\"message\":\"max_tokens must be positive\","
                    + "\"type\":\"invalid_request_error\"}}");
            return;
        }
        String path = exchange.getRequestURI().getPath();
        if (path.equals("/v1/embeddings")) {
            send(exchange, 200, "{\"object\":\"list\",\"model\":\"" + request.path("model").asText()
                    + "\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-0.5,1.0]}],"
                    + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}");
            return;
        }
        if (path.equals("/v1/rerank")) {
            send(exchange, 200, "{\"model\":\"" + request.path("model").asText() + "\",\"results\":["
                    + "{\"index\":1,\"relevance_score\":0.9},{\"index\":0,\"relevance_score\":0.1}],"
                    + "\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}");
            return;
        }
        if (path.equals("/v1/images/generations")) {
            send(exchange, 200, "{\"created\":1764158400,\"data\":[{\"b64_json\":\"aGk=\"}]}");
            return;
        }
        if (path.equals("/v1/audio/speech")) {
            exchange.getResponseHeaders().add("Content-Type", "audio/mpeg");
            exchange.sendResponseHeaders(200, SPEECH.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(SPEECH);
            }
            return;
        }
        boolean chat = path.equals("/v1/chat/completions");
        if (request.path("stream").asBoolean(false)) {
            stream(exchange, chat, request.path("break_after").asInt(-1), request.path("stall_after").asInt(-1));
            return;
        }
        String text = streamedText();
        send(exchange, 200, chat
                ? "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764158400,\"model\":\""
                  + request.path("model").asText() + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                  + "\"assistant\",\"content\":\"" + text + "\"},\"finish_reason\":\"stop\"}],"
                  + "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":" + chunks + ",\"total_tokens\":"
                  + (5 + chunks) + "}}"
                : "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1764158400,\"model\":\""
                  + request.path("model").asText() + "\",\"choices\":[{\"index\":0,\"text\":\"" + text
                  + "\",\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":"
                  + chunks + ",\"total_tokens\":" + (5 + chunks) + "}}");
    }

    private void stream(HttpExchange exchange, boolean chat, int breakAfter, int stallAfter) throws IOException {
        streamsInProgress.incrementAndGet();
        try {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().add("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (int i = 0; i < chunks; i++) {
                if (i == breakAfter) {
                    // an unhandled error makes the JDK server drop the connection mid-stream
                    throw new IllegalStateException("backend crashed");
                }
                if (i == stallAfter) {
                    TimeUnit.MINUTES.sleep(1);
                }
                String event = chat
                        ? "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                          + "\"delta\":{\"content\":\"" + token(i) + "\"},\"finish_reason\":null}]}"
                        : "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,"
                          + "\"text\":\"" + token(i) + "\",\"finish_reason\":null}]}";
                out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                chunkSentAt.add(System.nanoTime());
                TimeUnit.MILLISECONDS.sleep(chunkDelay.toMillis());
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            chunkSentAt.add(System.nanoTime());
            out.close();
        } catch (IOException e) {
            abortedStreams.incrementAndGet();
            exchange.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        } finally {
            streamsInProgress.decrementAndGet();
        }
    }

    private static byte[] speech() {
        byte[] bytes = new byte[70_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        return bytes;
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
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
