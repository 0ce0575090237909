package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.auth.AuthFilter;
import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.health.RoutingCatchUp;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.gateway.usage.UsageTap;
import dev.gpufleet.kit.auth.BackendKeySecret;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * OpenAI's model-named endpoints: the gateway reads {@code model} (and {@code stream}) from the JSON body or, for
 * audio transcriptions and translations, the multipart form, picks a RUNNING instance of that model and passes
 * the request through to it unchanged, and the answer back as it arrives: an SSE stream chunk by chunk, with
 * backpressure from the client to the backend. The client's Authorization header stays here (the cluster token
 * or a user's key must never reach a backend); the backend gets its own per-instance key instead.
 *
 * <p>A plain Vert.x route rather than a REST resource: the answer is relayed between two connections buffer by
 * buffer, never collected. These routes run ahead of the filter chain and authenticate themselves
 * ({@link AuthFilter#admit}).
 *
 * <p>This class only wires the stages a request goes through, all on its event loop: {@link RequestIntake} (the
 * limits, the body, the model), then a {@link BackendExchange} (an instance, one retry before the answer's first
 * byte, the answer relayed) with {@link BackendTargets} (where an instance's backend is called),
 * {@link ForwardingMeters} (what is recorded) and {@link Refusals} (what the gateway answers itself). Until the
 * routing table has caught up after the start ({@link RoutingCatchUp}), every authenticated request is answered 503
 * with {@code Retry-After}: a model the gateway has not read yet is not known to be missing.
 */
@Singleton
public class ForwardingRoutes {
    /** The OpenAI endpoints whose JSON body names the model. */
    public static final List<String> PATHS = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
            "/v1/rerank", "/v1/reranking", "/v1/images/generations", "/v1/audio/speech");
    /** The OpenAI endpoints that take a multipart form with a {@code model} field. */
    public static final List<String> FORM_PATHS = List.of("/v1/audio/transcriptions", "/v1/audio/translations");
    /** Ahead of the auth filter (which these routes call themselves) and of every other filter. */
    static final int ROUTE_ORDER = -AuthFilter.PRIORITY - 1;
    private static final String LOADING_RETRY_AFTER_SECONDS = "2";

    private final AuthFilter auth;
    private final Refusals refusals;
    private final RequestIntake intake;
    private final RoutingCatchUp catchUp;

    public ForwardingRoutes(RoutingTable table, Balancer balancer, BackendClient backends, ObjectMapper json,
                            MeterRegistry meters, BackendConfig backendConfig, LimitsConfig limits,
                            UsageTap usageTap, AuthFilter auth, RoutingCatchUp catchUp,
                            BackendKeySecret backendKeys, Tracer tracer,
                            @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
                            MemorySize maxBodySize) {
        long maxBodyBytes = maxBodySize.asLongValue();
        ForwardingMeters forwardingMeters = new ForwardingMeters(meters);
        this.auth = auth;
        this.catchUp = catchUp;
        Gauge.builder("gpufleet.gateway.queued", balancer, Balancer::waiting)
                .description("Requests waiting in line for a free slot of their model's instances")
                .register(meters);
        this.refusals = new Refusals(json, forwardingMeters, maxBodyBytes);
        BackendExchange.Shared exchanges = new BackendExchange.Shared(balancer, backends,
                new BackendTargets(backendKeys), forwardingMeters, refusals,
                backendConfig.firstByteTimeout().toMillis(), tracer);
        this.intake = new RequestIntake(table, balancer, usageTap, refusals, exchanges, maxBodyBytes,
                limits.maxHeaders());
    }

    void register(@Observes Router router) {
        for (String path : PATHS) {
            route(router, path, false);
        }
        for (String path : FORM_PATHS) {
            route(router, path, true);
        }
    }

    /**
     * One route and one handler per request, ahead of the filter chain and of Quarkus's body size check (an empty
     * 413): it authenticates, checks the limits, collects the body and forwards, and ends every request itself.
     * Handing each request through four routes of the Vert.x Web router (the auth filter, a limits route, a body
     * handler, the forwarding route) and Quarkus's layers was about 15 % of the event loop's time in a profile at
     * peak (bench/README.md, gateway). What the auth filter calls back is made once per route, not per request.
     */
    private void route(Router router, String path, boolean form) {
        BiConsumer<RoutingContext, Caller> admitted = (ctx, caller) -> {
            if (catchUp.caughtUp()) {
                intake.receive(ctx, caller, path, form);
            } else {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, LOADING_RETRY_AFTER_SECONDS);
                refusals.refuse(ctx, 503, OpenAiError.routingTableLoading(), "gateway_starting", Refusals.NO_MODEL);
            }
        };
        Consumer<RoutingContext> gone = ctx -> refusals.clientLeft(ctx, "while its API key was looked up");
        router.post(path).order(ROUTE_ORDER)
                .handler(ctx -> auth.admit(ctx, path, admitted, gone))
                .failureHandler(refusals::failed);
    }
}
