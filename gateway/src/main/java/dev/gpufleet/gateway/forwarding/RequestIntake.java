package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.http.BufferBytes;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.gateway.usage.UsageTap;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.Map;
import java.util.function.Predicate;

/**
 * An admitted request on its way in: its header count and declared length checked against the limits, its body
 * collected, its {@code model} (and {@code stream}) read, and the model looked up; then it is handed to a
 * {@link BackendExchange}.
 */
final class RequestIntake {
    private final RoutingTable table;
    private final Balancer balancer;
    /** Whether a request's model needs its prefix affinity key (more than one instance to choose among). */
    private final Predicate<String> affinityMatters;
    private final UsageTap usageTap;
    private final Refusals refusals;
    private final BackendExchange.Shared exchanges;
    private final long maxBodyBytes;
    private final int maxHeaders;

    RequestIntake(RoutingTable table, Balancer balancer, UsageTap usageTap, Refusals refusals,
                  BackendExchange.Shared exchanges, long maxBodyBytes, int maxHeaders) {
        this.table = table;
        this.balancer = balancer;
        this.affinityMatters = balancer::affinityMatters;
        this.usageTap = usageTap;
        this.refusals = refusals;
        this.exchanges = exchanges;
        this.maxBodyBytes = maxBodyBytes;
        this.maxHeaders = maxHeaders;
    }

    /** The request of an authenticated {@code caller} to {@code path}; a multipart form if {@code form}. */
    void receive(RoutingContext ctx, Caller caller, String path, boolean form) {
        if (withinLimits(ctx)) {
            new BodyCollector(ctx, caller, path, form).start();
        }
    }

    /** Refuses, before any of the body is read, a request with too many headers or a declared body too large. */
    private boolean withinLimits(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        int count = headerCount(request.headers());
        if (count > maxHeaders) {
            refusals.refuse(ctx, 431, OpenAiError.tooManyHeaders(count, maxHeaders), "too_many_headers",
                    Refusals.NO_MODEL);
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && ContentLength.declared(length) > maxBodyBytes) {
            refusals.bodyTooLarge(ctx);
            return false;
        }
        return true;
    }

    /** Header lines, a repeated name counted each time; MultiMap.size() would build a set of the names. */
    private static int headerCount(MultiMap headers) {
        int count = 0;
        for (Map.Entry<String, String> ignored : headers) {
            count++;
        }
        return count;
    }

    /**
     * The whole body, at most {@code maxBodyBytes} of it (a larger one is refused with a 413), then forwarded. A
     * body that arrives in one piece, as most do, is kept as it came rather than copied.
     */
    private final class BodyCollector implements Handler<Buffer> {
        private final RoutingContext ctx;
        private final Caller caller;
        private final String path;
        private final boolean form;
        private Buffer body;
        private boolean copied;
        private boolean refused;

        BodyCollector(RoutingContext ctx, Caller caller, String path, boolean form) {
            this.ctx = ctx;
            this.caller = caller;
            this.path = path;
            this.form = form;
        }

        void start() {
            HttpServerRequest request = ctx.request();
            request.handler(this);
            // the client's connection broke while it sent the body (the only failures a request stream reports)
            request.exceptionHandler(error -> {
                if (!refused) {
                    refused = true;
                    refusals.clientLeft(ctx, error);
                }
            });
            request.endHandler(ignored -> {
                if (!refused) {
                    forward(ctx, caller, path, form, body == null ? Buffer.buffer() : body);
                }
            });
            request.resume();
        }

        @Override
        public void handle(Buffer chunk) {
            if (refused) {
                return;
            }
            int length = body == null ? 0 : body.length();
            if (length + (long) chunk.length() > maxBodyBytes) {
                refused = true;
                refusals.bodyTooLarge(ctx);
                return;
            }
            if (body == null) {
                body = chunk;
                return;
            }
            if (!copied) {
                // the first chunk is Vert.x's, sized to fit: a buffer of our own from the second on
                body = Buffer.buffer(2 * (length + chunk.length())).appendBuffer(body);
                copied = true;
            }
            body.appendBuffer(chunk);
        }
    }

    private void forward(RoutingContext ctx, Caller caller, String path, boolean form, Buffer body) {
        long receivedAt = System.nanoTime();
        ForwardRequest request;
        try {
            request = form
                    ? MultipartForm.parse(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE), body.getBytes())
                    : parseJson(body);
        } catch (ForwardRequest.Rejected rejected) {
            refusals.refuse(ctx, 400, rejected.error(), "bad_request", Refusals.NO_MODEL);
            return;
        }
        if (table.model(request.model()).isEmpty()) {
            refusals.refuse(ctx, 404, OpenAiError.modelNotFound(request.model()), "model_not_found",
                    Refusals.NO_MODEL);
            return;
        }
        // usage metering: a stream asks its backend for usage; the tap sees the answer go by (usage.UsageTap)
        UsageTap.Metered metered = usageTap.open(caller, path, request.model(), request.stream(), body);
        new BackendExchange(exchanges, ctx, path, request, metered.requestBody(), receivedAt, metered).attempt();
    }

    /**
     * The body read where it lies when its buffer has an array (the usual heap buffer), else from a copy; of the
     * prompt's text only what prefix affinity hashes, under the balancer's block settings, and only for a model
     * with more than one instance.
     */
    private ForwardRequest parseJson(Buffer body) throws ForwardRequest.Rejected {
        int blockChars = balancer.affinityBlockChars();
        int blocks = balancer.affinityBlocks();
        return BufferBytes.read(body, (bytes, offset, length) -> ForwardRequest.parse(bytes, offset, length,
                blockChars, blocks, affinityMatters));
    }
}
