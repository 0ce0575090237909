package dev.gpufleet.gateway.forwarding;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The forwarded requests' meters: the gateway's overhead, each request's outcome and latency, the time to the first
 * byte, the tokens in answers, and the requests the gateway refused itself.
 *
 * <p>Meters are looked up by their tags in maps here rather than built and registered per request: the registry's
 * lookup (a Meter.Id with sorted Tags, then a map) costs more than the recording. The tags come only from fixed sets
 * (paths, statuses, outcomes, refusal reasons) and registered model names, so the maps stay small.
 */
final class ForwardingMeters {
    private final MeterRegistry meters;
    private final Timer overheadTimer;
    private final Map<RequestTags, Timer> requestTimers = new ConcurrentHashMap<>();
    private final Map<String, ModelMeters> modelMeters = new ConcurrentHashMap<>();
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Map<String, Counter> shed = new ConcurrentHashMap<>();

    ForwardingMeters(MeterRegistry meters) {
        this.meters = meters;
        this.overheadTimer = Timer.builder("gpufleet.gateway.overhead")
                .description("Time in the gateway from the whole request to its leaving for the backend")
                .serviceLevelObjectives(millis(0.05), millis(0.1), millis(0.2), millis(0.3), millis(0.5), millis(1),
                        millis(1.5), millis(2), millis(5), millis(10), millis(50))
                .register(meters);
    }

    private record RequestTags(String path, String model, int status, boolean stream, String outcome) {
    }

    /**
     * A model's token counters: as its backends reported them, and as the gateway estimated them where a backend
     * reported none ({@code estimated="true"}), kept apart as the usage rows keep them.
     */
    record ModelMeters(Counter promptTokens, Counter completionTokens, Counter estimatedPromptTokens,
                       Counter estimatedCompletionTokens, Map<String, EndpointMeters> byPath) {
        void count(dev.gpufleet.gateway.usage.TokenUsage usage) {
            (usage.estimated() ? estimatedPromptTokens : promptTokens).increment(usage.promptTokens());
            (usage.estimated() ? estimatedCompletionTokens : completionTokens).increment(usage.completionTokens());
        }
    }

    /**
     * What every answered request of one model on one endpoint records, made on first use: the time to the first
     * byte and, for the usual outcome (200, complete), the request timer, each by stream or not. Registering again
     * finds the registry's meter, so a race between two loops makes no second one.
     */
    final class EndpointMeters {
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

    /** Time spent in the gateway from the whole request body to the request leaving for the backend. */
    void overhead(long nanos) {
        overheadTimer.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** The model's meters on this endpoint, to look up once per request rather than once per record. */
    EndpointMeters endpointMeters(String model, String path) {
        ModelMeters meters = modelMeters.computeIfAbsent(model, name -> new ModelMeters(tokens(name, "prompt", false),
                tokens(name, "completion", false), tokens(name, "prompt", true), tokens(name, "completion", true),
                new ConcurrentHashMap<>()));
        return meters.byPath().computeIfAbsent(path, p -> new EndpointMeters(p, model, meters));
    }

    /** One request's outcome: count, status and latency to the end of the answer, per endpoint and model. */
    void record(String path, String model, int status, boolean stream, String outcome, long receivedAt) {
        requestTimer(new RequestTags(path, model, status, stream, outcome))
                .record(System.nanoTime() - receivedAt, TimeUnit.NANOSECONDS);
    }

    /** A request refused for want of a slot, by model (a registered one) and reason (queue full or timeout). */
    void shed(String model, String reason) {
        shed.computeIfAbsent(model + '\n' + reason, key -> Counter.builder("gpufleet.gateway.shed")
                .description("Requests refused with 503 because every instance of their model was full")
                .tags("model", model, "reason", reason)
                .register(meters)).increment();
    }

    /** A request the gateway ended itself, by reason. */
    void refused(String reason) {
        refusals.computeIfAbsent(reason, r -> meters.counter("gpufleet.gateway.refused", "reason", r)).increment();
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

    private Counter tokens(String model, String kind, boolean estimated) {
        return Counter.builder("gpufleet.gateway.tokens")
                .description("Tokens in answers, from their usage; estimated=\"true\" where the backend reported none "
                        + "and the gateway estimated them")
                .tags("model", model, "type", kind, "estimated", Boolean.toString(estimated))
                .register(meters);
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

    private static Duration millis(double millis) {
        return Duration.ofNanos((long) (millis * 1_000_000));
    }
}
