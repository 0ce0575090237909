package dev.gpufleet.llamacpp.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gpufleet.llamacpp.ServerOptions;
import dev.gpufleet.llamacpp.engine.Engine;
import dev.gpufleet.llamacpp.engine.EngineException;
import dev.gpufleet.llamacpp.engine.Generation;
import dev.gpufleet.llamacpp.engine.Sampling;
import dev.gpufleet.llamacpp.openai.ApiError;
import dev.gpufleet.llamacpp.openai.OpenAiRequests;
import dev.gpufleet.llamacpp.openai.OpenAiResponses;
import dev.gpufleet.llamacpp.openai.OpenAiResponses.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The OpenAI-compatible HTTP surface on the JDK's HTTP server. It listens before the model is loaded, so that
 * {@code /health} can say "loading"; every other route answers 503 until {@link #ready} is called.
 */
public final class OpenAiServer {

    private static final int MAX_BODY_BYTES = 32 << 20;

    private final HttpServer http;
    private final ServerOptions options;
    private final ExecutorService executor;
    private final byte[] expectedAuthorization;
    private final long createdEpochSeconds = Instant.now().getEpochSecond();
    private volatile Engine engine;
    private volatile boolean stopping;
    private final AtomicInteger inFlight = new AtomicInteger();

    private OpenAiServer(HttpServer http, ServerOptions options) {
        this.http = http;
        this.options = options;
        this.expectedAuthorization = options.apiKey()
                .map(k -> ("Bearer " + k).getBytes(StandardCharsets.UTF_8)).orElse(null);
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /** Binds the port; throws {@link java.net.BindException} when it is taken. */
    public static OpenAiServer bind(ServerOptions options) throws IOException {
        InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
        if (address.isUnresolved()) {
            throw new IOException("unknown host '" + options.host() + "'");
        }
        return new OpenAiServer(HttpServer.create(address, 128), options);
    }

    public void start() {
        http.start();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public void ready(Engine loaded) {
        this.engine = loaded;
    }

    /**
     * Refuses new requests, waits up to {@code graceSeconds} for those in progress, then closes. (JDK 17's own
     * {@code HttpServer.stop(delay)} always waits the whole delay, even when nothing is in progress.)
     */
    public void stop(int graceSeconds) {
        stopping = true;
        long deadline = System.nanoTime() + graceSeconds * 1_000_000_000L;
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        executor.shutdownNow();
    }

    /** Per-request state: whether the status line has gone out (then errors must travel inside the stream). */
    private static final class Exchange {
        final HttpExchange http;
        int status;
        boolean streaming;

        Exchange(HttpExchange http) {
            this.http = http;
        }
    }

    private void handle(HttpExchange httpExchange) {
        Exchange ex = new Exchange(httpExchange);
        long started = System.nanoTime();
        String method = httpExchange.getRequestMethod();
        String path = httpExchange.getRequestURI().getPath();
        inFlight.incrementAndGet();
        try {
            if (stopping) {
                throw ApiError.stopping();
            }
            route(ex, method, path);
        } catch (ApiError e) {
            fail(ex, e);
        } catch (EngineException e) {
            fail(ex, ApiError.server("llama.cpp failed: " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(ex, ApiError.server("the server is stopping"));
        } catch (IOException e) {
            // the client went away; nothing left to tell it
            ex.status = ex.status == 0 ? 499 : ex.status;
        } catch (RuntimeException e) {
            fail(ex, ApiError.server("unexpected error: " + e));
        } finally {
            httpExchange.close();
            inFlight.decrementAndGet();
            if (!path.equals("/health")) {
                System.out.printf("%s %s %d %d ms%n", method, path, ex.status, (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    private void route(Exchange ex, String method, String path)
            throws ApiError, EngineException, IOException, InterruptedException {
        if (path.equals("/health") || path.equals("/v1/health")) {
            requireMethod("GET", method, path);
            boolean ready = engine != null;
            sendJson(ex, ready ? 200 : 503, OpenAiResponses.health(ready));
            return;
        }
        authorize(ex.http);
        Engine e = engine;
        if (e == null) {
            throw ApiError.loading();
        }
        switch (path) {
            case "/v1/models":
            case "/models":
                requireMethod("GET", method, path);
                sendJson(ex, 200, OpenAiResponses.models(options.modelId(), createdEpochSeconds, e.summary()));
                return;
            case "/v1/chat/completions":
            case "/chat/completions":
                requireMethod("POST", method, path);
                chatCompletion(ex, e, OpenAiRequests.chatCompletion(body(ex.http)));
                return;
            case "/v1/completions":
            case "/completions":
                requireMethod("POST", method, path);
                completion(ex, e, OpenAiRequests.completion(body(ex.http)));
                return;
            case "/v1/embeddings":
            case "/embeddings":
                requireMethod("POST", method, path);
                embeddings(ex, e, body(ex.http));
                return;
            case "/v1/rerank":
            case "/rerank":
            case "/v1/reranking":
            case "/reranking":
                requireMethod("POST", method, path);
                rerank(ex, e, body(ex.http));
                return;
            default:
                throw ApiError.notFound("no route " + method + " " + path);
        }
    }

    private void chatCompletion(Exchange ex, Engine e, OpenAiRequests.ChatCompletion request)
            throws ApiError, EngineException, IOException, InterruptedException {
        String prompt = e.applyChatTemplate(request.messages());
        int promptTokens = checkedPromptTokens(e, prompt, "messages");
        Envelope envelope = envelope("chatcmpl-");
        if (!request.stream()) {
            Generation g = e.generate(prompt, promptTokens, request.sampling(), piece -> { });
            sendJson(ex, 200, OpenAiResponses.chatCompletion(envelope, g));
            return;
        }
        boolean usage = request.includeUsage();
        OutputStream out = startEventStream(ex);
        event(out, OpenAiResponses.chatRoleChunk(envelope, usage));
        Generation g = generateStreaming(ex, e, prompt, promptTokens, request.sampling(),
                piece -> event(out, OpenAiResponses.chatContentChunk(envelope, piece, usage)));
        event(out, OpenAiResponses.chatFinalChunk(envelope, g, usage));
        if (usage) {
            event(out, OpenAiResponses.usageChunk(envelope, "chat.completion.chunk", g));
        }
        done(out);
    }

    private void completion(Exchange ex, Engine e, OpenAiRequests.Completion request)
            throws ApiError, EngineException, IOException, InterruptedException {
        int promptTokens = checkedPromptTokens(e, request.prompt(), "prompt");
        Envelope envelope = envelope("cmpl-");
        if (!request.stream()) {
            Generation g = e.generate(request.prompt(), promptTokens, request.sampling(), piece -> { });
            sendJson(ex, 200, OpenAiResponses.completion(envelope, g));
            return;
        }
        boolean usage = request.includeUsage();
        OutputStream out = startEventStream(ex);
        Generation g = generateStreaming(ex, e, request.prompt(), promptTokens, request.sampling(),
                piece -> event(out, OpenAiResponses.completionChunk(envelope, piece, null, usage)));
        event(out, OpenAiResponses.completionChunk(envelope, "", g.finishReason().openAiName, usage));
        if (usage) {
            event(out, OpenAiResponses.usageChunk(envelope, "text_completion", g));
        }
        done(out);
    }

    private Generation generateStreaming(Exchange ex, Engine e, String prompt, int promptTokens, Sampling sampling,
            Engine.PieceListener listener) throws EngineException, IOException, InterruptedException {
        try {
            return e.generate(prompt, promptTokens, sampling, listener);
        } catch (EngineException failure) {
            // the status line is out: report the failure inside the stream, as llama.cpp's server does
            event(ex.http.getResponseBody(), ApiError.server("llama.cpp failed: " + failure.getMessage()).toJson());
            throw new IOException("generation failed after the stream started", failure);
        }
    }

    private void embeddings(Exchange ex, Engine e, JsonNode body)
            throws ApiError, EngineException, IOException, InterruptedException {
        if (!e.servesEmbeddings()) {
            throw ApiError.notSupported("embeddings are not enabled: start llamacpp-server with --embeddings");
        }
        OpenAiRequests.Embedding request = OpenAiRequests.embedding(body);
        int limit = Math.min(Engine.EMBEDDING_MAX_TOKENS, e.slotContext());
        List<float[]> vectors = new ArrayList<>();
        int tokens = 0;
        for (int i = 0; i < request.inputs().size(); i++) {
            String input = request.inputs().get(i);
            int n = e.promptTokens(input);
            if (n > limit) {
                throw ApiError.badRequest((request.inputs().size() > 1 ? "input[" + i + "]" : "input") + " is " + n
                        + " tokens; at most " + limit + " fit");
            }
            tokens += n;
            vectors.add(e.embed(input));
        }
        sendJson(ex, 200, OpenAiResponses.embeddings(options.modelId(), vectors, request.base64(), tokens));
    }

    private void rerank(Exchange ex, Engine e, JsonNode body)
            throws ApiError, EngineException, IOException, InterruptedException {
        if (!e.servesReranking()) {
            throw ApiError.notSupported("reranking is not enabled: start llamacpp-server with --rerank on a reranker "
                    + "model (a cross-encoder with a classification head, e.g. BERT)");
        }
        OpenAiRequests.Rerank request = OpenAiRequests.rerank(body);
        int limit = Math.min(Engine.EMBEDDING_MAX_TOKENS, e.slotContext());
        int queryTokens = e.promptTokens(request.query());
        int tokens = 0;
        for (int i = 0; i < request.documents().size(); i++) {
            // [BOS] query [EOS] [SEP] document [EOS]: both counts include a BOS and an EOS of their own
            int n = queryTokens + e.promptTokens(request.documents().get(i));
            if (n > limit) {
                throw ApiError.badRequest("query and documents[" + i + "] are " + n + " tokens together; at most "
                        + limit + " fit");
            }
            tokens += n;
        }
        float[] scores = e.rerank(request.query(), request.documents());
        sendJson(ex, 200, OpenAiResponses.rerank(options.modelId(), request.documents(), scores, request.topN(),
                request.returnDocuments(), tokens));
    }

    private static int checkedPromptTokens(Engine e, String prompt, String field) throws ApiError {
        int tokens = e.promptTokens(prompt);
        if (tokens >= e.slotContext()) {
            throw ApiError.badRequest(field + " is " + tokens + " tokens but a request's context holds "
                    + e.slotContext() + " (raise -c/--ctx-size or lower -np/--parallel)");
        }
        return tokens;
    }

    private Envelope envelope(String prefix) {
        return new Envelope(prefix + UUID.randomUUID().toString().replace("-", ""), Instant.now().getEpochSecond(),
                options.modelId());
    }

    private void authorize(HttpExchange ex) throws ApiError {
        if (expectedAuthorization == null) {
            return;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        byte[] given = header == null ? new byte[0] : header.trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expectedAuthorization, given)) {
            throw ApiError.unauthorized();
        }
    }

    private static void requireMethod(String expected, String method, String path) throws ApiError {
        if (!expected.equals(method)) {
            throw ApiError.methodNotAllowed(method, path);
        }
    }

    private static JsonNode body(HttpExchange ex) throws ApiError, IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw ApiError.tooLarge("the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        return OpenAiRequests.parseBody(bytes);
    }

    private static void fail(Exchange ex, ApiError error) {
        if (ex.streaming) {
            return;
        }
        try {
            sendJson(ex, error.status(), error.toJson());
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private static void sendJson(Exchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        ex.http.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.status = status;
        ex.http.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.http.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static OutputStream startEventStream(Exchange ex) throws IOException {
        ex.http.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.http.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.status = 200;
        ex.streaming = true;
        ex.http.sendResponseHeaders(200, 0);
        return ex.http.getResponseBody();
    }

    private static void event(OutputStream out, ObjectNode chunk) throws IOException {
        out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void done(OutputStream out) throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
