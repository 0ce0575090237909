package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.gateway.usage.UsageTap;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * OpenAI's model-named endpoints: the gateway reads {@code model} (and {@code stream}) from the JSON body,
 * picks a RUNNING instance of that model and passes the request through to it unchanged, and the answer back as
 * it arrives: an SSE stream chunk by chunk, with backpressure from the client to the backend. The client's Authorization header stays
 * here: the cluster token must never reach a backend.
 *
 * <p>A plain Vert.x route rather than a REST resource: the answer is relayed between two connections buffer by
 * buffer, never collected. The kit's ClusterTokenFilter has already checked the caller before any of this runs.
 */
@Singleton
public class ForwardingRoutes {
    /** The OpenAI endpoints whose body names the model. */
    public static final List<String> PATHS = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings");
    /** Time spent in the gateway from the whole request body to the request leaving for the backend. */
    public static final String OVERHEAD_HEADER = "x-gpufleet-overhead-ms";
    public static final String RETRY_AFTER_SECONDS = "5";
    /** The first instance, and one other if the first cannot be reached. */
    private static final int MAX_ATTEMPTS = 2;
    private static final List<CharSequence> REQUEST_HEADERS = List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT);
    private static final List<CharSequence> RESPONSE_HEADERS = List.of(HttpHeaders.CONTENT_TYPE,
            HttpHeaders.CACHE_CONTROL);
    private static final Logger LOG = Logger.getLogger(ForwardingRoutes.class);

    private final RoutingTable table;
    private final Balancer balancer;
    private final BackendClient backends;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final long maxBodyBytes;
    private final UsageTap usage;

    public ForwardingRoutes(RoutingTable table, Balancer balancer, BackendClient backends, ObjectMapper json,
                            MeterRegistry meters, UsageTap usage,
                            @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
                            MemorySize maxBodySize) {
        this.table = table;
        this.balancer = balancer;
        this.backends = backends;
        this.json = json;
        this.meters = meters;
        this.maxBodyBytes = maxBodySize.asLongValue();
        this.usage = usage;
    }

    void register(@Observes Router router) {
        for (String path : PATHS) {
            router.post(path)
                    .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
                    .handler(this::forward)
                    .failureHandler(this::failed);
        }
    }

    private void forward(RoutingContext ctx) {
        long receivedAt = System.nanoTime();
        Buffer body = ctx.body().buffer();
        ForwardRequest request;
        try {
            request = ForwardRequest.parse(body == null ? new byte[0] : body.getBytes());
        } catch (ForwardRequest.Rejected rejected) {
            refuse(ctx, 400, rejected.error(), "bad_request");
            return;
        }
        if (table.model(request.model()).isEmpty()) {
            refuse(ctx, 404, OpenAiError.modelNotFound(request.model()), "model_not_found");
            return;
        }
        // usage metering: a stream asks its backend for usage; the tap sees the answer go by (usage.UsageTap)
        UsageTap.Metered metered = usage.open(Caller.of(ctx), ctx.request().path(), request.model(),
                request.stream(), body);
        new Exchange(ctx, request, metered.requestBody(), receivedAt, metered).attempt();
    }

    /** One client request on its way to a backend, and the backend's answer on its way back. */
    private final class Exchange {
        private final RoutingContext ctx;
        private final ForwardRequest request;
        private final Buffer body;
        private final long receivedAt;
        private final Set<String> tried = new HashSet<>();
        /** The request to the backend now in progress, to cut off when the client goes away. */
        private HttpClientRequest inProgress;
        private boolean clientGone;
        /** Set once the backend has answered: the hold and the answer being relayed. */
        private Balancer.Lease relayingLease;
        private HttpClientResponse relayingAnswer;
        private boolean finished;
        private final UsageTap.Metered metered;

        Exchange(RoutingContext ctx, ForwardRequest request, Buffer body, long receivedAt, UsageTap.Metered metered) {
            this.metered = metered;
            this.ctx = ctx;
            this.request = request;
            this.body = body;
            this.receivedAt = receivedAt;
            ctx.response().closeHandler(ignored -> {
                clientGone = true;
                if (inProgress != null) {
                    inProgress.reset();
                }
                if (relayingLease != null) {
                    finish(relayingLease, relayingAnswer, "client_gone");
                }
            });
        }

        void attempt() {
            Optional<Balancer.Lease> acquired = balancer.acquire(request.model(), tried);
            if (acquired.isEmpty()) {
                if (tried.isEmpty()) {
                    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                    refuse(ctx, 503, OpenAiError.modelNotReady(request.model()), "model_not_ready");
                } else {
                    refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()), "backend_unreachable");
                }
                return;
            }
            Balancer.Lease lease = acquired.get();
            InstanceChanged instance = lease.instance();
            tried.add(instance.instanceId());
            Optional<BackendEndpoint> endpoint = BackendEndpoint.parse(instance.endpoint());
            if (endpoint.isEmpty()) {
                failedBeforeAnswer(lease, new IllegalArgumentException("the endpoint is not host:port"));
                return;
            }
            String query = ctx.request().query();
            RequestOptions options = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost(endpoint.get().host())
                    .setPort(endpoint.get().port())
                    .setURI(ctx.request().path() + (query == null ? "" : "?" + query))
                    .setIdleTimeout(backends.idleTimeoutMillis());
            for (CharSequence name : REQUEST_HEADERS) {
                String value = ctx.request().getHeader(name);
                if (value != null) {
                    options.putHeader(name, value);
                }
            }
            String overhead = String.format(Locale.ROOT, "%.3f", (System.nanoTime() - receivedAt) / 1e6);
            backends.client().request(options)
                    .compose(backendRequest -> {
                        if (clientGone) {
                            backendRequest.reset();
                            return Future.failedFuture("the client went away");
                        }
                        inProgress = backendRequest;
                        return backendRequest.send(body == null ? Buffer.buffer() : body);
                    })
                    .onComplete(answered -> {
                        if (answered.succeeded()) {
                            relay(lease, answered.result(), overhead);
                        } else {
                            failedBeforeAnswer(lease, answered.cause());
                        }
                    });
        }

        /** Nothing came back from the instance: another one may take the request, once. */
        private void failedBeforeAnswer(Balancer.Lease lease, Throwable cause) {
            inProgress = null;
            lease.release();
            if (clientGone) {
                return;
            }
            InstanceChanged instance = lease.instance();
            LOG.warnf("Instance %s of model %s at %s did not answer: %s", instance.instanceId(), request.model(),
                    instance.endpoint(), cause.toString());
            if (tried.size() < MAX_ATTEMPTS) {
                attempt();
            } else {
                refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()), "backend_unreachable");
            }
        }

        private void relay(Balancer.Lease lease, HttpClientResponse answer, String overhead) {
            HttpServerResponse response = ctx.response();
            if (clientGone) {
                inProgress = null;
                lease.release();
                answer.request().reset();
                return;
            }
            this.relayingLease = lease;
            this.relayingAnswer = answer;
            response.setStatusCode(answer.statusCode());
            for (CharSequence name : RESPONSE_HEADERS) {
                String value = answer.getHeader(name);
                if (value != null) {
                    response.putHeader(name, value);
                }
            }
            String length = answer.getHeader(HttpHeaders.CONTENT_LENGTH);
            if (length != null && answer.getHeader(HttpHeaders.TRANSFER_ENCODING) == null) {
                response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
            } else {
                response.setChunked(true);
            }
            response.putHeader(OVERHEAD_HEADER, overhead);
            metered.answered(answer.statusCode(), answer.getHeader(HttpHeaders.CONTENT_TYPE));
            // each buffer goes out as it arrives; a slow client pauses the backend (backpressure)
            answer.handler(chunk -> {
                if (clientGone) {
                    return;
                }
                Buffer passed = metered.chunk(chunk);
                if (passed.length() == 0) {
                    return;
                }
                response.write(passed);
                if (response.writeQueueFull()) {
                    answer.pause();
                    response.drainHandler(ignored -> answer.resume());
                }
            });
            answer.exceptionHandler(error -> {
                if (!finish(lease, answer, clientGone ? "client_gone" : "broken")) {
                    return;
                }
                if (!clientGone) {
                    LOG.warnf("Instance %s of model %s broke off its answer: %s", lease.instance().instanceId(),
                            request.model(), error.toString());
                    // a backend that dies mid-answer must not look like a complete answer to the client
                    response.reset();
                }
            });
            answer.endHandler(ignored -> {
                Buffer rest = metered.end();
                // released before the client sees the end, so its next request finds the count already down
                if (finish(lease, answer, "complete") && !clientGone) {
                    if (rest != null) {
                        response.write(rest);
                    }
                    response.end();
                }
            });
        }

        /** Ends the exchange once, whichever way it ends; false if it had ended already. */
        private boolean finish(Balancer.Lease lease, HttpClientResponse answer, String outcome) {
            if (finished) {
                return false;
            }
            finished = true;
            inProgress = null;
            lease.release();
            metered.finished();
            meters.timer("gpufleet.gateway.forwarded", "model", request.model(),
                            "status", Integer.toString(answer.statusCode()),
                            "stream", Boolean.toString(request.stream()), "outcome", outcome)
                    .record(System.nanoTime() - receivedAt, TimeUnit.NANOSECONDS);
            return true;
        }
    }

    private void failed(RoutingContext ctx) {
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (status >= 500) {
            LOG.error("Could not forward " + ctx.request().path(), ctx.failure());
        }
        String message = status == 413
                ? "The request body is larger than the gateway accepts (" + maxBodyBytes + " bytes)."
                : "The gateway could not handle this request.";
        refuse(ctx, status, OpenAiError.of(message, status < 500 ? OpenAiError.INVALID_REQUEST : "api_error",
                null, null), "failed");
    }

    private void refuse(RoutingContext ctx, int status, OpenAiError error, String reason) {
        meters.counter("gpufleet.gateway.refused", "reason", reason).increment();
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.closed()) {
            return;
        }
        try {
            response.setStatusCode(status)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(json.writeValueAsString(error));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + error, e);
        }
    }
}
