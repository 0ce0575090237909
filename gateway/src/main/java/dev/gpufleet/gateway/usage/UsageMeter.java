package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.auth.Caller;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Usage metering: counts each answered request's tokens per key, model and UTC day, written in batches. While the
 * database is away, usage adds up in memory (at most {@code max-pending} rows) and is written when it returns; usage
 * that finds no room (a new row past the bound) is counted in {@code gpufleet_gateway_usage_dropped_total} and
 * logged.
 */
@Singleton
public class UsageMeter implements UsageListener {
    private static final Logger LOG = Logger.getLogger(UsageMeter.class);
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final long DROP_LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Clock clock;
    private final UsageStore store;
    private final UsageBatcher batcher;
    private final Counter droppedRequests;
    private final Counter droppedTokens;
    private final AtomicLong droppedSinceLog = new AtomicLong();
    private final AtomicLong droppedLoggedAt = new AtomicLong(System.nanoTime() - DROP_LOG_EVERY_NANOS);
    private volatile LocalDate day;

    public UsageMeter(Clock clock, AgroalDataSource dataSource, MeterRegistry meters,
                      @ConfigProperty(name = "gpufleet.gateway.usage.flush-interval", defaultValue = "10s")
                      Duration flushInterval,
                      @ConfigProperty(name = "gpufleet.gateway.usage.max-pending", defaultValue = "100000")
                      int maxPending,
                      @ConfigProperty(name = "gpufleet.gateway.usage.write-timeout", defaultValue = "30s")
                      Duration writeTimeout) {
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("gpufleet.gateway.usage.flush-interval must be positive, was "
                    + flushInterval);
        }
        if (writeTimeout.isNegative() || writeTimeout.isZero()) {
            throw new IllegalArgumentException("gpufleet.gateway.usage.write-timeout must be positive, was "
                    + writeTimeout);
        }
        this.clock = clock;
        this.store = new UsageStore(dataSource, writeTimeout);
        this.batcher = new UsageBatcher(store, flushInterval, maxPending);
        this.droppedRequests = Counter.builder("gpufleet.gateway.usage.dropped")
                .description("Usage not recorded because the rows waiting for the database were at their bound")
                .tag("unit", "requests").register(meters);
        this.droppedTokens = Counter.builder("gpufleet.gateway.usage.dropped")
                .description("Usage not recorded because the rows waiting for the database were at their bound")
                .tag("unit", "tokens").register(meters);
        Gauge.builder("gpufleet.gateway.usage.pending", batcher, UsageBatcher::pending)
                .description("Usage rows (key, model, day) waiting to be written").register(meters);
    }

    @Override
    public void used(Caller caller, String model, TokenUsage usage) {
        UsageKey key = new UsageKey(caller.keyId(), model, today());
        if (!batcher.add(key, new UsageCounts(usage.promptTokens(), usage.completionTokens(), 1))) {
            dropped(usage);
        }
    }

    private void dropped(TokenUsage usage) {
        droppedRequests.increment();
        droppedTokens.increment(usage.totalTokens());
        long count = droppedSinceLog.incrementAndGet();
        long last = droppedLoggedAt.get();
        long now = System.nanoTime();
        if (now - last >= DROP_LOG_EVERY_NANOS && droppedLoggedAt.compareAndSet(last, now)) {
            droppedSinceLog.addAndGet(-count);
            LOG.errorf("Usage of %d requests was not recorded: %d usage rows wait for the database already "
                    + "(gpufleet.gateway.usage.max-pending); see gpufleet_gateway_usage_dropped_total", count,
                    batcher.pending());
        }
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
