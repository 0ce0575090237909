package dev.gpufleet.chaos.standin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A small, fast OpenAI-compatible server that the agent runs as llama-box for the suite's second model: it takes
 * llama-box's command line ({@link StandInOptions}), demands the instance key like llama-box, serves {@code -np}
 * requests at once (the rest wait in arrival order, as in llama.cpp), each taking {@code GPUFLEET_CHAOS_SERVICE_MS}
 * (from the model's {@code env}), and answers {@code GET /health}, {@code GET /v1/models},
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions} (both also as SSE with {@code "stream": true}),
 * with token usage. Every answer's {@code id} names the host and port the caller reached (the request's
 * {@code Host}, else its own), so the suite can tell which backend answered. Exit code 2 for a command line it does not take (llama-box's too); stops on TERM.
 */
public final class StandInBackend {
    public static final String SERVICE_MS_ENV = "GPUFLEET_CHAOS_SERVICE_MS";
    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");

    private final StandInOptions options;
    private final long serviceMillis;
    private final Semaphore slots;
    private final AtomicLong served = new AtomicLong();
    private final String servedBy;

    private StandInBackend(StandInOptions options, long serviceMillis) {
        this.options = options;
        this.serviceMillis = serviceMillis;
        this.slots = new Semaphore(options.parallel(), true);
        this.servedBy = options.host() + ":" + options.port();
    }

    public static void main(String[] args) throws IOException {
        StandInOptions options;
        try {
            options = StandInOptions.parse(List.of(args));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        String ms = System.getenv(SERVICE_MS_ENV);
        long serviceMillis = ms == null || ms.isBlank() ? 0 : Long.parseLong(ms.trim());
        new StandInBackend(options, serviceMillis).serve();
    }

    private void serve() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 256);
        // a thread per request, as llama.cpp's server answers /health at once while every slot is busy
        ExecutorService threads = Executors.newCachedThreadPool();
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0), "stand-in-stop"));
        System.out.println("stand-in llama-box listening on http://" + options.host() + ":"
                + server.getAddress().getPort() + " (model " + options.alias() + ", " + options.parallel()
                + " slots, " + serviceMillis + " ms per request)");
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/health")) {
                send(exchange, 200, "{\"status\":\"ok\"}");
                return;
            }
            if (options.apiKey() != null
                    && !("Bearer " + options.apiKey()).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, error("Invalid API Key", "authentication_error", 401));
                return;
            }
            if (path.equals("/v1/models") && method.equals("GET")) {
                send(exchange, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"" + options.alias()
                        + "\",\"object\":\"model\",\"owned_by\":\"gpufleet-chaos\"}]}");
                return;
            }
            boolean chat = path.equals("/v1/chat/completions");
            if ((chat || path.equals("/v1/completions")) && method.equals("POST")) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                complete(exchange, chat, STREAM.matcher(body).find());
                return;
            }
            send(exchange, 404, error("Not found: " + method + " " + path, "not_found_error", 404));
        }
    }

    private void complete(HttpExchange exchange, boolean chat, boolean stream) throws IOException {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(exchange, 503, error("stopping", "server_error", 503));
            return;
        }
        try {
            if (serviceMillis > 0) {
                Thread.sleep(serviceMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            slots.release();
        }
        // the address the caller reached: the gateway's Host, which the agent's proxy in front of a backend on
        // loopback passes on; this backend's own address when there is none
        String host = exchange.getRequestHeaders().getFirst("Host");
        String id = (chat ? "chatcmpl-" : "cmpl-") + "standin-" + (host == null || host.isBlank() ? servedBy : host)
                + "-" + served.incrementAndGet();
        String usage = "\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":4,\"total_tokens\":12}";
        if (!stream) {
            String choice = chat
                    ? "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"stand in answer\"},"
                    + "\"finish_reason\":\"length\"}"
                    : "{\"index\":0,\"text\":\"stand in answer\",\"finish_reason\":\"length\"}";
            send(exchange, 200, "{\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion" : "text_completion")
                    + "\",\"created\":1764158400,\"model\":\"" + options.alias() + "\",\"choices\":[" + choice + "],"
                    + usage + "}");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            String object = chat ? "chat.completion.chunk" : "text_completion";
            for (String word : new String[]{"stand ", "in ", "answer"}) {
                String choice = chat ? "{\"index\":0,\"delta\":{\"content\":\"" + word + "\"},\"finish_reason\":null}"
                        : "{\"index\":0,\"text\":\"" + word + "\",\"finish_reason\":null}";
                out.write(("data: {\"id\":\"" + id + "\",\"object\":\"" + object + "\",\"model\":\"" + options.alias()
                        + "\",\"choices\":[" + choice + "]}\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write(("data: {\"id\":\"" + id + "\",\"object\":\"" + object + "\",\"model\":\"" + options.alias()
                    + "\",\"choices\":[]," + usage + "}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String error(String message, String type, int code) {
        return "{\"error\":{\"message\":\"" + message + "\",\"type\":\"" + type + "\",\"code\":" + code + "}}";
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
