package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.auth.Caller;
import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;

/** Usage metering: counts each answered request's tokens per key, model and UTC day, written in batches. */
@Singleton
public class UsageMeter implements UsageListener {
    private final Clock clock;
    private final UsageStore store;
    private final UsageBatcher batcher;
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private volatile LocalDate day;

    public UsageMeter(Clock clock, AgroalDataSource dataSource,
                      @ConfigProperty(name = "gpufleet.gateway.usage.flush-interval", defaultValue = "10s")
                      Duration flushInterval) {
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("gpufleet.gateway.usage.flush-interval must be positive, was "
                    + flushInterval);
        }
        this.clock = clock;
        this.store = new UsageStore(dataSource);
        this.batcher = new UsageBatcher(store, flushInterval);
    }

    @Override
    public void used(Caller caller, String model, TokenUsage usage) {
        batcher.add(new UsageKey(caller.keyId(), model, today()),
                new UsageCounts(usage.promptTokens(), usage.completionTokens(), 1));
    }

    /** The UTC day, made once a day rather than through the zone rules on every request. */
    private LocalDate today() {
        long epochDay = Math.floorDiv(clock.millis(), MILLIS_PER_DAY);
        LocalDate known = day;
        if (known == null || known.toEpochDay() != epochDay) {
            known = LocalDate.ofEpochDay(epochDay);
            day = known;
        }
        return known;
    }

    /** Writes what is counted so far, so that a read sees it. */
    public void flush() {
        batcher.flush();
    }

    public UsageStore store() {
        return store;
    }

    /** Before the datasource goes away: nothing counted is lost on a clean stop. */
    void onStop(@Observes ShutdownEvent ignored) {
        batcher.close();
    }

    @PreDestroy
    void close() {
        batcher.close();
    }
}
