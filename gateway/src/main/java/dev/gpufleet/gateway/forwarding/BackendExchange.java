package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.usage.TokenUsage;
import dev.gpufleet.gateway.usage.UsageTap;
import dev.gpufleet.kit.tracing.TraceParent;
import io.netty.handler.codec.http.HttpResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One client request on its way to a backend, and the backend's answer on its way back: an instance with a free
 * slot is picked (or the request waits in its model's line, for at most the queue timeout) and called, another one
 * once if the first cannot be reached or answers 5xx before the answer's first byte, and the answer is relayed to
 * the client piece by piece, under the first-byte and idle deadlines. A request the line cannot take, or that
 * waited too long, is shed with 503 and {@code Retry-After}.
 *
 * <p>When the client's request is traced (tracing on: its server span is recorded), the wait for an instance is a
 * span {@code route <model>} and each call to a backend a client span {@code POST <path>}, both children of the
 * request's span; the backend gets the call's {@code traceparent}. With tracing off nothing of this is made.
 */
final class BackendExchange extends DeadlineQueue.Entry implements BackendCall.Listener, Balancer.Waiter {
    private static final String RETRY_AFTER_SECONDS = "5";
    /** A shed request may try again soon: slots free up as answers end. */
    private static final String SHED_RETRY_AFTER_SECONDS = "2";
    /** The first instance, and one other if the first cannot be reached or answers 5xx. */
    private static final int MAX_ATTEMPTS = 2;
    private static final List<CharSequence> RESPONSE_HEADERS = List.of(HttpHeaders.CONTENT_TYPE,
            HttpHeaders.CACHE_CONTROL, HttpHeaders.CONTENT_DISPOSITION);
    private static final Logger LOG = Logger.getLogger(BackendExchange.class);

    /** What every exchange shares, made once with the routes. */
    static final class Shared {
        private final Balancer balancer;
        private final BackendClient backends;
        private final BackendTargets targets;
        private final ForwardingMeters meters;
        private final Refusals refusals;
        private final LoopDeadlines loopDeadlines = new LoopDeadlines();
        private final long firstByteTimeoutMillis;
        private final long queueTimeoutMillis;
        private final Tracer tracer;

        Shared(Balancer balancer, BackendClient backends, BackendTargets targets, ForwardingMeters meters,
               Refusals refusals, long firstByteTimeoutMillis, Tracer tracer) {
            this.tracer = tracer;
            this.balancer = balancer;
            this.backends = backends;
            this.targets = targets;
            this.meters = meters;
            this.refusals = refusals;
            this.firstByteTimeoutMillis = firstByteTimeoutMillis;
            this.queueTimeoutMillis = balancer.queueTimeout().toMillis();
        }
    }

    private final Shared shared;
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
    /** The instance's target and the header lines sent to it (which of its keys, during a rotation). */
    private BackendTargets.BackendTarget target;
    private byte[] sentHeaders;
    /** The backend refused one key (401) and was sent the other: no third try. */
    private boolean keyRetried;
    /**
     * The one deadline of this exchange, on its loop's queue rather than a timer of its own: until the answer
     * begins it is the first-byte deadline, then it checks that the answer has not been silent for the idle
     * timeout.
     */
    private final LoopDeadlines.Loop deadlines;
    private long sentAtNanos;
    private String overhead;
    private boolean answerBegun;
    /** When the backend last sent something, once its answer has begun. */
    private long lastDataNanos;
    private boolean clientGone;
    /** In the model's line, waiting for a slot: the deadline is the queue timeout. */
    private boolean queued;
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
    private int lastBytes = SseBoundary.NOTHING_RELAYED;
    private final UsageTap.Metered metered;
    /** The client request's span context, when it is recorded; null when the request is not traced. */
    private final Context traceParent;
    /** The wait for an instance (traced requests only), until the first call goes out or the request is refused. */
    private Span routeSpan;
    /** The call now in progress to a backend (traced requests only). */
    private Span callSpan;
    /** The model's meters on this endpoint: looked up once per request, not once per record. */
    private final ForwardingMeters.EndpointMeters endpointMeters;

    BackendExchange(Shared shared, RoutingContext ctx, String path, ForwardRequest request, Buffer body,
                    long receivedAt, UsageTap.Metered metered) {
        this.shared = shared;
        this.deadlines = shared.loopDeadlines.current();
        this.metered = metered;
        this.endpointMeters = shared.meters.endpointMeters(request.model(), path);
        this.ctx = ctx;
        this.path = path;
        this.request = request;
        this.body = body;
        this.receivedAt = receivedAt;
        this.clientRequest = ctx.request();
        this.response = ctx.response();
        Context current = Context.current();
        this.traceParent = Span.fromContext(current).getSpanContext().isValid() ? current : null;
        response.closeHandler(ignored -> clientClosed());
    }

    /** The client's connection closed: the backend request is cut off, wherever it stands. */
    private void clientClosed() {
        clientGone = true;
        if (queued) {
            if (shared.balancer.cancel(request.model(), this)) {
                queued = false;
                cancelDeadline();
                endRoute("client_gone");
                record(499, "client_gone");
            }
            // else admitted meanwhile: the lease on its way is released when it arrives
            return;
        }
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
        if (traceParent != null && routeSpan == null && tried.isEmpty()) {
            routeSpan = shared.tracer.spanBuilder("route " + request.model()).setParent(traceParent)
                    .setAttribute("gpufleet.model", request.model()).startSpan();
        }
        Balancer.Admission admission = shared.balancer.admit(request.model(), tried, request.affinityKey(), this);
        if (admission instanceof Balancer.Lease acquired) {
            send(acquired);
            return;
        }
        switch ((Balancer.Refusal) admission) {
            case QUEUED -> {
                if (routeSpan != null) {
                    routeSpan.addEvent("queued");
                }
                queued = true;
                deadlines.schedule(this, System.nanoTime(), shared.queueTimeoutMillis);
            }
            case QUEUE_FULL -> shed("queue_full", OpenAiError.overloaded(request.model()));
            case NO_INSTANCE -> {
                endRoute("no_instance");
                if (tried.isEmpty()) {
                    response.putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
                    shared.refusals.refuse(ctx, 503, OpenAiError.modelNotReady(request.model()), "model_not_ready",
                            request.model(), receivedAt);
                } else {
                    shared.refusals.refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()),
                            "backend_unreachable", request.model(), receivedAt);
                }
            }
        }
    }

    /** A slot came free for this request while it waited in line; on whichever thread released it. */
    @Override
    public void admitted(Balancer.Lease lease) {
        deadlines.execute(() -> whenAdmitted(lease));
    }

    private void whenAdmitted(Balancer.Lease lease) {
        if (!queued) {
            lease.release(); // shed or gone before the slot came: it goes to the next in line
            return;
        }
        queued = false;
        if (clientGone) {
            lease.release();
            cancelDeadline();
            endRoute("client_gone");
            record(499, "client_gone");
            return;
        }
        send(lease);
    }

    /** Refused for want of a slot: 503 with Retry-After, counted per model. */
    private void shed(String reason, OpenAiError error) {
        endRoute(reason);
        cancelDeadline();
        shared.meters.shed(request.model(), reason);
        response.putHeader(HttpHeaders.RETRY_AFTER, SHED_RETRY_AFTER_SECONDS);
        shared.refusals.refuse(ctx, 503, error, reason, request.model(), receivedAt);
    }

    private void send(Balancer.Lease lease) {
        InstanceChanged instance = lease.instance();
        BackendTargets.BackendTarget target = shared.targets.target(instance);
        keyRetried = false;
        send(lease, target, target.fixedHeaders());
    }

    private void send(Balancer.Lease lease, BackendTargets.BackendTarget target, byte[] headers) {
        this.lease = lease;
        this.target = target;
        this.sentHeaders = headers;
        InstanceChanged instance = lease.instance();
        if (!tried.contains(instance.instanceId())) {
            tried = plus(tried, instance.instanceId());
        }
        String uri = BackendTargets.backendPath(path);
        String traceHeader = traceParent == null ? null : startCallSpan(instance, uri);
        if (target.endpoint().isEmpty()) {
            failedBeforeAnswer(new IllegalArgumentException("the endpoint is not host:port"));
            return;
        }
        String query = clientRequest.query();
        long now = System.nanoTime();
        long overheadNanos = now - receivedAt;
        shared.meters.overhead(overheadNanos);
        overhead = OverheadHeader.millisText(overheadNanos);
        answerBegun = false;
        sentAtNanos = now; // microseconds before the request leaves: one clock read fewer
        // from here the deadline covers a wait for a free connection too
        deadlines.schedule(this, now, shared.firstByteTimeoutMillis);
        BackendCall started = shared.backends.call(target.endpoint().get(),
                query == null ? uri : uri + "?" + query, headers,
                clientRequest.getHeader(HttpHeaders.CONTENT_TYPE), clientRequest.getHeader(HttpHeaders.ACCEPT),
                traceHeader, body, this);
        call = started;
        started.start();
    }

    /** Nothing came back from the instance: another one may take the request, once (not after a timeout). */
    private void failedBeforeAnswer(Throwable cause) {
        cancelDeadline();
        call = null;
        endCall(0, cause);
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
                    request.model(), instance.endpoint(), shared.firstByteTimeoutMillis);
            shared.refusals.refuse(ctx, 504, OpenAiError.backendTimeout(request.model(),
                            TimeUnit.MILLISECONDS.toSeconds(shared.firstByteTimeoutMillis)), "backend_timeout",
                    request.model(), receivedAt);
            return;
        }
        LOG.warnf("Instance %s of model %s at %s did not answer: %s", instance.instanceId(), request.model(),
                instance.endpoint(), cause.toString());
        if (tried.size() < MAX_ATTEMPTS) {
            attempt();
        } else {
            shared.refusals.refuse(ctx, 502, OpenAiError.backendUnreachable(request.model()),
                    "backend_unreachable", request.model(), receivedAt);
        }
    }

    /** The instance answered: relayed, unless it is a 5xx and another instance can take the request. */
    @Override
    public void head(HttpResponse answer) {
        answerBegan();
        status = answer.status().code();
        if (status == 401 && !keyRetried) {
            // during a rotation of the backend-key secret, a backend started before it holds the other key
            byte[] other = target.otherThan(sentHeaders);
            if (other != null) {
                keyRetried = true;
                cancelDeadline();
                call.abandon();
                send(lease, target, other);
                return;
            }
        }
        if (status != 401) {
            target.accepted(sentHeaders);
        }
        if (status >= 500 && tried.size() < MAX_ATTEMPTS) {
            Optional<Balancer.Lease> next = shared.balancer.acquire(request.model(), tried, request.affinityKey());
            if (next.isPresent()) {
                LOG.warnf("Instance %s of model %s answered %d; retrying on instance %s",
                        lease.instance().instanceId(), request.model(), status,
                        next.get().instance().instanceId());
                lease.failed();
                cancelDeadline();
                call.abandon();
                endCall(status, null);
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
        declared = fixedLength ? ContentLength.declared(length) : -1;
        response.putHeader(OverheadHeader.OPTIMIZED_NAME, overhead);
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
        lastBytes = SseBoundary.after(lastBytes, passed);
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
            response.end(SseBoundary.event(lastBytes,
                    shared.refusals.render(OpenAiError.backendBrokeOff(request.model()))));
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
        if (shared.backends.idleTimeoutMillis() <= 0) {
            cancelDeadline(); // 0: no idle limit
            return;
        }
        long firstByteLeft = shared.firstByteTimeoutMillis - TimeUnit.NANOSECONDS.toMillis(now - sentAtNanos);
        if (firstByteLeft > shared.backends.idleTimeoutMillis()) {
            // the first-byte deadline lies beyond the idle limit: it would check too late
            deadlines.schedule(this, now, shared.backends.idleTimeoutMillis());
        }
    }

    private void deadlineReached() {
        if (queued) {
            if (shared.balancer.cancel(request.model(), this)) {
                queued = false;
                shed("queue_timeout", OpenAiError.overloadedAfterWaiting(request.model(),
                        TimeUnit.MILLISECONDS.toSeconds(shared.queueTimeoutMillis)));
            }
            // else admitted meanwhile: the lease is on its way to this loop
            return;
        }
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
        if (silentMillis < shared.backends.idleTimeoutMillis()) {
            deadlines.schedule(this, System.nanoTime(), shared.backends.idleTimeoutMillis() - silentMillis);
            return;
        }
        LOG.warnf("Instance %s of model %s sent nothing for %d ms; cutting its answer off",
                lease.instance().instanceId(), request.model(), silentMillis);
        current.abandon();
        brokeOff(new java.util.concurrent.TimeoutException("silent for " + silentMillis + " ms"));
    }

    /** Ends the exchange once, whichever way it ends; false if it had ended already. */
    private boolean finish(String outcome) {
        if (finished) {
            return false;
        }
        finished = true;
        cancelDeadline();
        call = null;
        if (callSpan != null) {
            callSpan.setAttribute("gpufleet.outcome", outcome);
            endCall(status, null);
        }
        if (outcome.equals("broken") || status >= 500) {
            lease.failed();
        } else {
            lease.release();
        }
        record(status, outcome);
        TokenUsage usage = metered.finished();
        if (usage != null && outcome.equals("complete")) {
            endpointMeters.model().count(usage);
        }
        return true;
    }

    private void record(int status, String outcome) {
        if (status == 200 && outcome.equals("complete")) {
            endpointMeters.completed(request.stream()).record(System.nanoTime() - receivedAt,
                    TimeUnit.NANOSECONDS);
        } else {
            shared.meters.record(path, request.model(), status, request.stream(), outcome, receivedAt);
        }
    }

    /** The span of a call to {@code instance}, a child of the request's; returns its traceparent for the backend. */
    private String startCallSpan(InstanceChanged instance, String uri) {
        endRoute("admitted");
        callSpan = shared.tracer.spanBuilder("POST " + uri).setParent(traceParent).setSpanKind(SpanKind.CLIENT)
                .setAttribute("http.request.method", "POST")
                .setAttribute("url.path", uri)
                .setAttribute("gpufleet.model", request.model())
                .setAttribute("gpufleet.instance_id", instance.instanceId())
                .setAttribute("gpufleet.attempt", tried.size())
                .startSpan();
        if (instance.endpoint() != null) {
            callSpan.setAttribute("server.address", instance.endpoint());
        }
        return TraceParent.of(callSpan.getSpanContext());
    }

    /** Ends the call's span: the backend's status (0 when none came), or why no answer came. */
    private void endCall(int status, Throwable cause) {
        Span span = callSpan;
        if (span == null) {
            return;
        }
        callSpan = null;
        if (status > 0) {
            span.setAttribute("http.response.status_code", status);
        }
        if (cause != null) {
            span.recordException(cause);
            span.setStatus(StatusCode.ERROR, cause.toString());
        } else if (status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    private void endRoute(String outcome) {
        Span span = routeSpan;
        if (span == null) {
            return;
        }
        routeSpan = null;
        span.setAttribute("gpufleet.outcome", outcome);
        if (lease != null) {
            span.setAttribute("gpufleet.instance_id", lease.instance().instanceId());
        }
        span.end();
    }

    /** The backend began no answer within the first-byte timeout. */
    private static final class FirstByteTimeout extends Exception {
        FirstByteTimeout() {
            super("no answer began within the first-byte timeout", null, false, false);
        }
    }

    /** The set and one more element, as an immutable set of one or two: no set is built up per request. */
    private static Set<String> plus(Set<String> set, String element) {
        if (set.isEmpty()) {
            return Set.of(element);
        }
        String[] all = set.toArray(new String[set.size() + 1]);
        all[set.size()] = element;
        return Set.of(all);
    }
}
