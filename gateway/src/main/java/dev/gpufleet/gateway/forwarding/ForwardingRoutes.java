package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.gateway.auth.AuthFilter;
import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.http.BufferBytes;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.gateway.usage.TokenUsage;
import dev.gpufleet.gateway.usage.UsageTap;
import dev.gpufleet.kit.auth.ClusterToken;
import dev.gpufleet.kit.auth.InstanceApiKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http.HttpResponse;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

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
 */
@Singleton
public class ForwardingRoutes {
    /** The OpenAI endpoints whose JSON body names the model. */
    public static final List<String> PATHS = List.of("/v1/chat/completions", "/v1/completions", "/v1/embeddings",
            "/v1/rerank", "/v1/reranking", "/v1/images/generations", "/v1/audio/speech");
    /** The OpenAI endpoints that take a multipart form with a {@code model} field. */
    public static final List<String> FORM_PATHS = List.of("/v1/audio/transcriptions", "/v1/audio/translations");
    /** Aliases: the path the backend is called on when it differs from the client's. */
    private static final Map<String, String> BACKEND_PATHS = Map.of("/v1/reranking", "/v1/rerank");
    /** Time spent in the gateway from the whole request body to the request leaving for the backend. */
    public static final String OVERHEAD_HEADER = "x-gpufleet-overhead-ms";
    private static final CharSequence OVERHEAD_HEADER_NAME = HttpHeaders.createOptimized(OVERHEAD_HEADER);
    public static final String RETRY_AFTER_SECONDS = "5";
    /** The first instance, and one other if the first cannot be reached or answers 5xx. */
    private static final int MAX_ATTEMPTS = 2;
    private static final List<CharSequence> RESPONSE_HEADERS = List.of(HttpHeaders.CONTENT_TYPE,
            HttpHeaders.CACHE_CONTROL, HttpHeaders.CONTENT_DISPOSITION);
    /** A model name that is not registered: never a metric tag (clients choose it). */
    private static final String NO_MODEL = "-";
    private static final Logger LOG = Logger.getLogger(ForwardingRoutes.class);
    /** Ahead of the auth filter (which these routes call themselves) and of every other filter. */
    static final int ROUTE_ORDER = -AuthFilter.PRIORITY - 1;
    private static final int MAX_TARGETS = 10_000;

    private final RoutingTable table;
    private final Balancer balancer;
    private final BackendClient backends;
    private final ObjectMapper json;
    private final MeterRegistry meters;
    private final long maxBodyBytes;
    private final int maxHeaders;
    private final long firstByteTimeoutMillis;
    private final String clusterToken;
    /** By instance id; started over past {@link #MAX_TARGETS}, since an entry outlives its instance. */
    private final Map<String, BackendTarget> targets = new ConcurrentHashMap<>();
    private final Timer overheadTimer;
    private final UsageTap usageTap;
    private final AuthFilter auth;
    private final LoopDeadlines loopDeadlines = new LoopDeadlines();
    /** Whether a request's model needs its prefix affinity key (more than one instance to choose among). */
    private final Predicate<String> affinityMatters;

    public ForwardingRoutes(RoutingTable table, Balancer balancer, BackendClient backends, ObjectMapper json,
                            MeterRegistry meters, BackendConfig backendConfig, LimitsConfig limits,
                            UsageTap usageTap, AuthFilter auth,
                            ClusterToken clusterToken,
                            @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
                            MemorySize maxBodySize) {
        this.table = table;
        this.balancer = balancer;
        this.affinityMatters = balancer::affinityMatters;
        this.backends = backends;
        this.json = json;
        this.meters = meters;
        this.maxBodyBytes = maxBodySize.asLongValue();
        this.maxHeaders = limits.maxHeaders();
        this.firstByteTimeoutMillis = backendConfig.firstByteTimeout().toMillis();
        this.clusterToken = clusterToken.value();
        this.usageTap = usageTap;
        this.auth = auth;
        this.overheadTimer = Timer.builder("gpufleet.gateway.overhead")
                .description("Time in the gateway from the whole request to its leaving for the backend")
                .serviceLevelObjectives(millis(0.05), millis(0.1), millis(0.2), millis(0.3), millis(0.5), millis(1),
                        millis(1.5), millis(2), millis(5), millis(10), millis(50))
                .register(meters);
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
     * peak (bench/README.md, gateway).
     */
    private void route(Router router, String path, boolean form) {
        router.post(path).order(ROUTE_ORDER)
                .handler(ctx -> auth.admit(ctx, path, (admitted, caller) -> receive(admitted, caller, path, form),
                        gone -> clientLeft(gone, "while its API key was looked up")))
                .failureHandler(this::failed);
    }

    private void receive(RoutingContext ctx, Caller caller, String path, boolean form) {
        if (withinLimits(ctx)) {
            new BodyCollector(ctx, caller, path, form).start();
        }
    }

    /** Refuses, before any of the body is read, a request with too many headers or a declared body too large. */
    private boolean withinLimits(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        int count = headerCount(request.headers());
        if (count > maxHeaders) {
            refuse(ctx, 431, OpenAiError.tooManyHeaders(count, maxHeaders), "too_many_headers", NO_MODEL);
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && declaredLength(length) > maxBodyBytes) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
            refuse(ctx, 413, OpenAiError.bodyTooLarge(maxBodyBytes), "body_too_large", NO_MODEL);
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

    /** The declared length; -1 when it is not a number (Vert.x rejects a malformed length itself). */
    private static long declaredLength(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
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
                    clientLeft(ctx, error);
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
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                refuse(ctx, 413, OpenAiError.bodyTooLarge(maxBodyBytes), "body_too_large", NO_MODEL);
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
                    ? MultipartForm.parse(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE),
                    body == null ? new byte[0] : body.getBytes())
                    : parseJson(body);
        } catch (ForwardRequest.Rejected rejected) {
            refuse(ctx, 400, rejected.error(), "bad_request", NO_MODEL);
            return;
        }
        if (table.model(request.model()).isEmpty()) {
            refuse(ctx, 404, OpenAiError.modelNotFound(request.model()), "model_not_found", NO_MODEL);
            return;
        }
        // usage metering: a stream asks its backend for usage; the tap sees the answer go by (usage.UsageTap)
        UsageTap.Metered metered = usageTap.open(caller, path, request.model(), request.stream(), body);
        new Exchange(ctx, path, request, metered.requestBody(), receivedAt, metered).attempt();
    }

    /**
     * The body read where it lies when its buffer has an array (the usual heap buffer), else from a copy; of the
     * prompt's text only what prefix affinity hashes, under the balancer's block settings, and only for a model
     * with more than one instance.
     */
    private ForwardRequest parseJson(Buffer body) throws ForwardRequest.Rejected {
        int blockChars = balancer.affinityBlockChars();
        int blocks = balancer.affinityBlocks();
        if (body == null) {
            return ForwardRequest.parse(new byte[0], 0, 0, blockChars, blocks);
        }
        return BufferBytes.read(body, (bytes, offset, length) -> ForwardRequest.parse(bytes, offset, length,
                blockChars, blocks, affinityMatters));
    }

    /**
     * Where an instance's backend listens and the header lines every request to it carries: its Host, and the
     * Authorization it expects (its own key, derived from the cluster token; never logged). Worked out once per
     * instance and endpoint rather than on every request; {@code fixedHeaders} is null when the endpoint is unusable.
     */
    private record BackendTarget(String endpointText, Optional<BackendEndpoint> endpoint, byte[] fixedHeaders) {
    }

    private BackendTarget target(InstanceChanged instance) {
        BackendTarget known = targets.get(instance.instanceId());
        if (known != null && known.endpointText().equals(instance.endpoint())) {
            return known;
        }
        Optional<BackendEndpoint> endpoint = BackendEndpoint.parse(instance.endpoint());
        byte[] fixedHeaders = null;
        if (endpoint.isPresent()) {
            try {
                fixedHeaders = BackendRequestHead.fixedHeaders(endpoint.get().authority(),
                        "Bearer " + InstanceApiKeys.forInstance(clusterToken, instance.instanceId()));
            } catch (IllegalArgumentException unusable) {
                endpoint = Optional.empty();
            }
        }
        BackendTarget made = new BackendTarget(instance.endpoint(), endpoint, fixedHeaders);
        if (targets.size() >= MAX_TARGETS) {
            targets.clear();
        }
        targets.put(instance.instanceId(), made);
        return made;
    }

    /** One client request on its way to a backend, and the backend's answer on its way back. */
    private final class Exchange extends DeadlineQueue.Entry implements BackendCall.Listener {
        private final RoutingContext ctx;
        /** The client's request and its response, taken once: each call through the context goes via wrappers. */
        private final HttpServerRequest clientRequest;
        private final HttpServerResponse response;
        private final String path;
        private final ForwardRequest request;
        private final Buffer body;
        private final long receivedAt;
        /** The instances tried so far: none, one, or (at most {@link #MAX_ATTEMPTS}) two; no set made per request. */
        private Set<String> tried = Set.of();
        /**
         * The call to the backend now in progress, to abandon when the client goes away or a deadline passes; null
         * once the exchange has ended (or before it got as far as a call).
         */
        private BackendCall call;
        /** The hold on the instance the call went to. */
        private Balancer.Lease lease;
        /**
         * The one deadline of this exchange, on its loop's queue rather than a timer of its own: until the answer
         * begins it is the first-byte deadline, then it checks that the answer has not been silent for the idle
         * timeout.
         */
        private final LoopDeadlines.Loop deadlines = loopDeadlines.current();
        private long sentAtNanos;
        private String overhead;
        private boolean answerBegun;
        /** When the backend last sent something, once its answer has begun. */
        private long lastDataNanos;
        private boolean clientGone;
        /** Set once the answer is being relayed to the client. */
        private boolean relaying;
        private int status;
        private boolean sse;
        private boolean finished;
        private boolean firstChunkSeen;
        /** The body length the backend declared; -1 when it did not (chunked, or until closed). */
        private long declared;
        /** Bytes of the answer's body received from the backend. */
        private long received;
        /** The piece that completed a body of declared length, written with the end. */
        private Buffer heldLast;
        /** The last four bytes relayed, to tell whether the client's stream ends between two SSE events. */
        private int lastBytes = 0x0A0A;
        private final UsageTap.Metered metered;
        /** The model's meters on this endpoint: looked up once per request, not once per record. */
        private final EndpointMeters endpointMeters;

        Exchange(RoutingContext ctx, String path, ForwardRequest request, Buffer body, long receivedAt,
                 UsageTap.Metered metered) {
            this.metered = metered;
            this.endpointMeters = endpointMeters(request.model(), path);
            this.ctx = ctx;
            this.path = path;
            this.request = request;
            this.body = body;
            this.receivedAt = receivedAt;
            this.clientRequest = ctx.request();
            this.response = ctx.response();
            response.closeHandler(ignored -> clientClosed());
        }

        /** The client's connection closed: the backend request is cut off, wherever it stands. */
        private void clientClosed() {
            clientGone = true;
            BackendCall current = call;
            if (current == null) {
                return;
            }
            current.abandon();
            if (relaying) {
                finish("client_gone");
            } else {
                failedBeforeAnswer(new IllegalStateException("the client went away"));
            }
        }

        void attempt() {
            Optional<Balancer.Lease> acquired = balancer.acquire(request.model(), tried, request.affinityKey());
            if (acquired.isEmpty()) {
                if (tried.isEmpty()) {
                    response.putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                    refuse(ctx, 503, OpenAiError.modelNotReady(request.model()), "model_not_ready", request.model(),
                            receivedAt);
                } else {
                    refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()), "backend_unreachable",
                            request.model(), receivedAt);
                }
                return;
            }
            send(acquired.get());
        }

        private void send(Balancer.Lease lease) {
            this.lease = lease;
            InstanceChanged instance = lease.instance();
            if (!tried.contains(instance.instanceId())) {
                tried = plus(tried, instance.instanceId());
            }
            BackendTarget target = target(instance);
            if (target.endpoint().isEmpty()) {
                failedBeforeAnswer(new IllegalArgumentException("the endpoint is not host:port"));
                return;
            }
            String query = clientRequest.query();
            String uri = BACKEND_PATHS.getOrDefault(path, path);
            long now = System.nanoTime();
            long overheadNanos = now - receivedAt;
            overheadTimer.record(overheadNanos, TimeUnit.NANOSECONDS);
            overhead = millisText(overheadNanos);
            answerBegun = false;
            sentAtNanos = now; // microseconds before the request leaves: one clock read fewer
            // from here the deadline covers a wait for a free connection too
            deadlines.schedule(this, now, firstByteTimeoutMillis);
            BackendCall started = backends.call(target.endpoint().get(), query == null ? uri : uri + "?" + query,
                    target.fixedHeaders(), clientRequest.getHeader(HttpHeaders.CONTENT_TYPE),
                    clientRequest.getHeader(HttpHeaders.ACCEPT), body, this);
            call = started;
            started.start();
        }

        /** Nothing came back from the instance: another one may take the request, once (not after a timeout). */
        private void failedBeforeAnswer(Throwable cause) {
            cancelDeadline();
            call = null;
            Balancer.Lease failedOn = lease;
            if (clientGone) {
                // cut off by the gateway itself: no fault of the instance's
                failedOn.release();
                record(499, "client_gone");
                return;
            }
            failedOn.failed();
            InstanceChanged instance = failedOn.instance();
            if (cause instanceof FirstByteTimeout) {
                LOG.warnf("Instance %s of model %s at %s did not begin its answer within %d ms", instance.instanceId(),
                        request.model(), instance.endpoint(), firstByteTimeoutMillis);
                refuse(ctx, 504, OpenAiError.backendTimeout(request.model(),
                                TimeUnit.MILLISECONDS.toSeconds(firstByteTimeoutMillis)), "backend_timeout",
                        request.model(), receivedAt);
                return;
            }
            LOG.warnf("Instance %s of model %s at %s did not answer: %s", instance.instanceId(), request.model(),
                    instance.endpoint(), cause.toString());
            if (tried.size() < MAX_ATTEMPTS) {
                attempt();
            } else {
                refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()), "backend_unreachable",
                        request.model(), receivedAt);
            }
        }

        /** The instance answered: relayed, unless it is a 5xx and another instance can take the request. */
        @Override
        public void head(HttpResponse answer) {
            answerBegan();
            status = answer.status().code();
            if (status >= 500 && tried.size() < MAX_ATTEMPTS) {
                Optional<Balancer.Lease> next = balancer.acquire(request.model(), tried, request.affinityKey());
                if (next.isPresent()) {
                    LOG.warnf("Instance %s of model %s answered %d; retrying on instance %s",
                            lease.instance().instanceId(), request.model(), status,
                            next.get().instance().instanceId());
                    lease.failed();
                    cancelDeadline();
                    call.abandon();
                    send(next.get());
                    return;
                }
            }
            relay(answer);
        }

        private void relay(HttpResponse answer) {
            relaying = true;
            io.netty.handler.codec.http.HttpHeaders headers = answer.headers();
            response.setStatusCode(status);
            for (CharSequence name : RESPONSE_HEADERS) {
                String value = headers.get(name);
                if (value != null) {
                    response.putHeader(name, value);
                }
            }
            String length = headers.get(HttpHeaders.CONTENT_LENGTH);
            boolean fixedLength = length != null && !headers.contains(HttpHeaders.TRANSFER_ENCODING);
            if (fixedLength) {
                response.putHeader(HttpHeaders.CONTENT_LENGTH, length);
            } else {
                response.setChunked(true);
            }
            declared = fixedLength ? declaredLength(length) : -1;
            response.putHeader(OVERHEAD_HEADER_NAME, overhead);
            String type = headers.get(HttpHeaders.CONTENT_TYPE);
            metered.answered(status, type);
            sse = type != null && type.startsWith("text/event-stream");
        }

        /** Each piece goes out as it arrives; a slow client pauses the backend (backpressure). */
        @Override
        public void content(Buffer chunk) {
            long now = System.nanoTime();
            lastDataNanos = now;
            if (!firstChunkSeen) {
                firstChunkSeen = true;
                endpointMeters.firstToken(request.stream()).record(now - receivedAt, TimeUnit.NANOSECONDS);
            }
            received += chunk.length();
            Buffer passed = metered.chunk(chunk);
            for (int i = Math.max(0, passed.length() - 4); i < passed.length(); i++) {
                lastBytes = (lastBytes << 8) | (passed.getByte(i) & 0xff);
            }
            if (declared >= 0 && received >= declared && heldLast == null) {
                // the whole declared body is in: this piece leaves with the end, one write instead of two
                heldLast = passed;
            } else if (passed.length() > 0) {
                response.write(passed);
            }
            if (response.writeQueueFull()) {
                BackendCall paused = call;
                paused.pause();
                response.drainHandler(ignored -> paused.resume());
            }
        }

        @Override
        public void end() {
            Buffer rest = metered.end();
            // the connection is back in its pool and the instance released before the client sees the end, so
            // the client's next request finds both
            if (finish("complete")) {
                Buffer last = heldLast;
                heldLast = null;
                if (rest != null) {
                    if (last != null) {
                        response.write(last);
                    }
                    last = rest;
                }
                if (last == null) {
                    response.end();
                } else {
                    response.end(last);
                }
            }
        }

        @Override
        public void failed(Throwable cause) {
            if (relaying) {
                brokeOff(cause);
            } else {
                failedBeforeAnswer(cause);
            }
        }

        /** The answer had begun and the backend stopped sending it (it died, or fell silent too long). */
        private void brokeOff(Throwable cause) {
            if (!finish("broken")) {
                return;
            }
            LOG.warnf("Instance %s of model %s broke off its answer: %s", lease.instance().instanceId(),
                    request.model(), cause.toString());
            if (heldLast != null) {
                response.write(heldLast);
                heldLast = null;
            }
            if (sse) {
                // the client sees why its stream ends here, in the shape OpenAI's clients raise as an error
                response.end((atEventBoundary() ? "" : "\n\n") + "data: "
                        + render(OpenAiError.backendBrokeOff(request.model())) + "\n\n");
            } else {
                // a backend that dies mid-answer must not look like a complete answer to the client
                response.reset();
            }
        }

        private void cancelDeadline() {
            deadlines.cancel(this);
        }

        @Override
        void expired() {
            deadlineReached();
        }

        /** The headers are in: from now on the answer may be silent for at most the idle timeout. */
        private void answerBegan() {
            long now = System.nanoTime();
            answerBegun = true;
            lastDataNanos = now;
            if (backends.idleTimeoutMillis() <= 0) {
                cancelDeadline(); // 0: no idle limit
                return;
            }
            long firstByteLeft = firstByteTimeoutMillis - TimeUnit.NANOSECONDS.toMillis(now - sentAtNanos);
            if (firstByteLeft > backends.idleTimeoutMillis()) {
                // the first-byte deadline lies beyond the idle limit: it would check too late
                deadlines.schedule(this, now, backends.idleTimeoutMillis());
            }
        }

        private void deadlineReached() {
            BackendCall current = call;
            if (current == null) {
                return;
            }
            if (!answerBegun) {
                current.abandon();
                failedBeforeAnswer(new FirstByteTimeout());
                return;
            }
            long silentMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastDataNanos);
            if (silentMillis < backends.idleTimeoutMillis()) {
                deadlines.schedule(this, System.nanoTime(), backends.idleTimeoutMillis() - silentMillis);
                return;
            }
            LOG.warnf("Instance %s of model %s sent nothing for %d ms; cutting its answer off",
                    lease.instance().instanceId(), request.model(), silentMillis);
            current.abandon();
            brokeOff(new java.util.concurrent.TimeoutException("silent for " + silentMillis + " ms"));
        }

        private boolean atEventBoundary() {
            return (lastBytes & 0xFFFF) == 0x0A0A || lastBytes == 0x0D0A0D0A;
        }

        /** Ends the exchange once, whichever way it ends; false if it had ended already. */
        private boolean finish(String outcome) {
            if (finished) {
                return false;
            }
            finished = true;
            cancelDeadline();
            call = null;
            if (outcome.equals("broken") || status >= 500) {
                lease.failed();
            } else {
                lease.release();
            }
            record(status, outcome);
            TokenUsage reported = metered.finished();
            if (reported != null && outcome.equals("complete")) {
                endpointMeters.model().promptTokens().increment(reported.promptTokens());
                endpointMeters.model().completionTokens().increment(reported.completionTokens());
            }
            return true;
        }

        private void record(int status, String outcome) {
            if (status == 200 && outcome.equals("complete")) {
                endpointMeters.completed(request.stream()).record(System.nanoTime() - receivedAt,
                        TimeUnit.NANOSECONDS);
            } else {
                ForwardingRoutes.this.record(path, request.model(), status, request.stream(), outcome, receivedAt);
            }
        }
    }

    /** The backend began no answer within the first-byte timeout. */
    private static final class FirstByteTimeout extends Exception {
        FirstByteTimeout() {
            super("no answer began within the first-byte timeout", null, false, false);
        }
    }

    // Meters are looked up by their tags in these maps rather than built and registered per request: the
    // registry's lookup (a Meter.Id with sorted Tags, then a map) costs more than the recording. The tags come
    // only from fixed sets (paths, statuses, outcomes) and registered model names, so the maps stay small.
    private record RequestTags(String path, String model, int status, boolean stream, String outcome) {
    }

    private record ModelMeters(Counter promptTokens, Counter completionTokens, Map<String, EndpointMeters> byPath) {
    }

    /**
     * What every answered request of one model on one endpoint records, made on first use: the time to the first
     * byte and, for the usual outcome (200, complete), the request timer, each by stream or not. Registering again
     * finds the registry's meter, so a race between two loops makes no second one.
     */
    private final class EndpointMeters {
        private final String path;
        private final String modelName;
        private final ModelMeters model;
        /** By stream (1) or not (0); set once each, on first use. */
        private final AtomicReferenceArray<Timer> firstToken = new AtomicReferenceArray<>(2);
        private final AtomicReferenceArray<Timer> completed = new AtomicReferenceArray<>(2);

        EndpointMeters(String path, String modelName, ModelMeters model) {
            this.path = path;
            this.modelName = modelName;
            this.model = model;
        }

        ModelMeters model() {
            return model;
        }

        Timer firstToken(boolean stream) {
            Timer timer = firstToken.get(stream ? 1 : 0);
            if (timer == null) {
                timer = firstTokenTimer(path, modelName, stream);
                firstToken.set(stream ? 1 : 0, timer);
            }
            return timer;
        }

        Timer completed(boolean stream) {
            Timer timer = completed.get(stream ? 1 : 0);
            if (timer == null) {
                timer = requestTimer(new RequestTags(path, modelName, 200, stream, "complete"));
                completed.set(stream ? 1 : 0, timer);
            }
            return timer;
        }
    }

    private final Map<RequestTags, Timer> requestTimers = new ConcurrentHashMap<>();
    private final Map<String, ModelMeters> modelMeters = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();

    private EndpointMeters endpointMeters(String model, String path) {
        ModelMeters meters = modelMeters.computeIfAbsent(model, name -> new ModelMeters(tokens(name, "prompt"),
                tokens(name, "completion"), new ConcurrentHashMap<>()));
        return meters.byPath().computeIfAbsent(path, p -> new EndpointMeters(p, model, meters));
    }

    private Timer firstTokenTimer(String path, String model, boolean stream) {
        return Timer.builder("gpufleet.gateway.time.to.first.token")
                .description("From the whole request to the first byte of the answer's body")
                .tags("endpoint", path, "model", model, "stream", Boolean.toString(stream))
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(meters);
    }

    private Counter tokens(String model, String kind) {
        return Counter.builder("gpufleet.gateway.tokens")
                .description("Tokens in answers, from their usage")
                .tags("model", model, "type", kind)
                .register(meters);
    }

    /** One request's outcome: count, status and latency to the end of the answer, per endpoint and model. */
    private void record(String path, String model, int status, boolean stream, String outcome, long receivedAt) {
        requestTimer(new RequestTags(path, model, status, stream, outcome))
                .record(System.nanoTime() - receivedAt, TimeUnit.NANOSECONDS);
    }

    private Timer requestTimer(RequestTags key) {
        return requestTimers.computeIfAbsent(key, tags -> Timer.builder("gpufleet.gateway.requests")
                .description("OpenAI requests, from the whole request to the end of the answer")
                .tags("endpoint", tags.path(), "model", tags.model(),
                        "status", Integer.toString(tags.status()),
                        "stream", Boolean.toString(tags.stream()), "outcome", tags.outcome())
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(meters));
    }

    private void failed(RoutingContext ctx) {
        if (ctx.response().closed()) {
            clientLeft(ctx, ctx.failure());
            return;
        }
        int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
        if (status >= 500) {
            LOG.error("Could not forward " + ctx.request().path(), ctx.failure());
        }
        OpenAiError error = status == 413
                ? OpenAiError.bodyTooLarge(maxBodyBytes)
                : OpenAiError.of("The gateway could not handle this request.",
                status < 500 ? OpenAiError.INVALID_REQUEST : "api_error", null, null);
        refuse(ctx, status, error, status == 413 ? "body_too_large" : "failed", NO_MODEL);
    }

    /**
     * The client hung up before its whole request came or while its key was looked up (a reset, a client's own
     * timeout): no one to answer, and not the gateway's fault, so counted (499, as nginx logs it) but not logged as
     * an error.
     */
    private void clientLeft(RoutingContext ctx, Object why) {
        LOG.debugf("A client left before its request to %s was read: %s", ctx.request().path(), why);
        countRefusal(ctx, 499, "client_gone", NO_MODEL, System.nanoTime());
    }

    /** The gateway answers itself; {@code model} is a metric tag, so only a registered model's name or "-". */
    private void refuse(RoutingContext ctx, int status, OpenAiError error, String reason, String model) {
        refuse(ctx, status, error, reason, model, System.nanoTime());
    }

    private void refuse(RoutingContext ctx, int status, OpenAiError error, String reason, String model,
                        long receivedAt) {
        countRefusal(ctx, status, reason, model, receivedAt);
        HttpServerResponse response = ctx.response();
        if (response.headWritten() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(render(error));
    }

    /** A request the gateway ended itself: in the refusals by reason and in the requests by endpoint and status. */
    private void countRefusal(RoutingContext ctx, int status, String reason, String model, long receivedAt) {
        refusals.computeIfAbsent(reason, r -> meters.counter("gpufleet.gateway.refused", "reason", r)).increment();
        String endpoint = ctx.currentRoute() == null ? null : ctx.currentRoute().getPath();
        record(endpoint == null ? "other" : endpoint, model, status, false, reason, receivedAt);
    }

    private String render(OpenAiError error) {
        try {
            return json.writeValueAsString(error);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + error, e);
        }
    }

    /** Nanoseconds as milliseconds with three decimals ("0.042"), as String.format would, without its cost. */
    static String millisText(long nanos) {
        long micros = (Math.max(0, nanos) + 500) / 1000;
        long fraction = micros % 1000;
        return (micros / 1000) + (fraction < 10 ? ".00" : fraction < 100 ? ".0" : ".") + fraction;
    }

    private static Set<String> plus(Set<String> set, String element) {
        if (set.isEmpty()) {
            return Set.of(element);
        }
        String[] all = set.toArray(new String[set.size() + 1]);
        all[set.size()] = element;
        return Set.of(all);
    }

    private static Duration millis(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }
}
