package dev.gpufleet.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * The bench's stand-in for an OpenAI-compatible engine, run as its own process (so its CPU is not the load
 * generator's): {@code POST /v1/chat/completions} answers a fixed ~1 KB completion at once, or, when the body asks
 * for {@code "stream":true}, 100 SSE chunks, the first at once and then one a millisecond. Prints "listening PORT".
 *
 * <p>Args: PORT
 */
public final class FakeOpenAiBackend {
    static final int STREAM_CHUNKS = 100;

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        Buffer completion = Buffer.buffer(completion());
        Buffer chunk = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1764158400,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"token \"},\"finish_reason\":null}]}\n\n");
        Buffer last = Buffer.buffer("data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\","
                + "\"created\":1764158400,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"delta\":{},"
                + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":250,\"completion_tokens\":100,"
                + "\"total_tokens\":350}}\n\ndata: [DONE]\n\n");
        vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setIdleTimeout(0))
                .requestHandler(req -> req.body().onSuccess(body -> {
                    HttpServerResponse resp = req.response();
                    if (body.toString().contains("\"stream\":true")) {
                        resp.setChunked(true)
                                .putHeader("content-type", "text/event-stream")
                                .putHeader("cache-control", "no-cache")
                                // nginx passes chunks on as they come instead of filling its buffers first
                                .putHeader("x-accel-buffering", "no");
                        resp.write(chunk);
                        int[] sent = {1};
                        vertx.setPeriodic(1, id -> {
                            if (resp.closed()) {
                                vertx.cancelTimer(id);
                            } else if (sent[0]++ < STREAM_CHUNKS - 1) {
                                resp.write(chunk);
                            } else {
                                vertx.cancelTimer(id);
                                resp.end(last);
                            }
                        });
                    } else {
                        resp.putHeader("content-type", "application/json").end(completion);
                    }
                }))
                .listen(port, "127.0.0.1")
                .onSuccess(s -> System.out.println("listening " + s.actualPort()))
                .onFailure(e -> {
                    e.printStackTrace();
                    System.exit(1);
                });
    }

    /** A chat completion of about 1 KB, usage included (the gateway meters it). */
    static String completion() {
        String text = "The quick brown fox jumps over the lazy dog. ".repeat(18);
        return "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1764158400,"
                + "\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + text + "\"},\"finish_reason\":\"length\"}],"
                + "\"usage\":{\"prompt_tokens\":250,\"completion_tokens\":180,\"total_tokens\":430}}";
    }
}
