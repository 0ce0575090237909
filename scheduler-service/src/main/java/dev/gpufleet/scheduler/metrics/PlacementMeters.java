package dev.gpufleet.scheduler.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How long placement takes, as histograms (so any percentile can be read across schedulers):
 * <ul>
 *   <li>{@code gpufleet_placement_duration_seconds{outcome="placed"|"no_fit"}}: one placement decision of the
 *       engine, for one instance (the scheduler's own work, which grows with the fleet);</li>
 *   <li>{@code gpufleet_placement_wait_seconds}: from an instance's creation to its placement on a worker (what a
 *       user waits for, queueing behind other models and waiting for capacity included).</li>
 * </ul>
 */
@ApplicationScoped
public class PlacementMeters {
    private final Timer placed;
    private final Timer noFit;
    private final Timer wait;

    public PlacementMeters(MeterRegistry registry) {
        placed = decision(registry, "placed");
        noFit = decision(registry, "no_fit");
        wait = Timer.builder("gpufleet.placement.wait")
                .description("From an instance's creation until it was placed on a worker")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(1))
                .register(registry);
    }

    private static Timer decision(MeterRegistry registry, String outcome) {
        return Timer.builder("gpufleet.placement.duration")
                .description("One placement decision of the engine, for one instance")
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    /** A decision that took {@code nanos}; {@code placed} when it found a worker. */
    public void decided(boolean placed, long nanos) {
        (placed ? this.placed : noFit).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** An instance placed {@code waited} after its creation (never less than zero: clocks of two hosts). */
    public void placedAfter(Duration waited) {
        wait.record(waited.isNegative() ? Duration.ZERO : waited);
    }
}
