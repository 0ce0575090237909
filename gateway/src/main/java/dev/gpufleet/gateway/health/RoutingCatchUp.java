package dev.gpufleet.gateway.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whether the routing table has caught up once since the start: until then the gateway is not ready and answers
 * {@code /v1} with 503 and {@code Retry-After} rather than 404 for a model it has not read yet. The routing table's
 * feed reports each record it read ({@link #applied}); {@link ControlPlaneWatch} supplies the end offsets seen
 * after the start and the consumers' positions. Once caught up, it stays so: Kafka going away later makes the
 * gateway degraded, not unready.
 */
@Singleton
public class RoutingCatchUp {
    private static final Logger LOG = Logger.getLogger(RoutingCatchUp.class);
    /** How long a position at the end must stand with nothing more applied, where the log ends in a gap. */
    static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final CatchUp core = new CatchUp(SETTLE_NANOS);
    private final long startedNanos = System.nanoTime();
    private volatile boolean caughtUp;

    public RoutingCatchUp(MeterRegistry meters) {
        Gauge.builder("gpufleet.gateway.routing.caught.up", this, catchUp -> catchUp.caughtUp ? 1 : 0)
                .description("1 once the routing table has read everything its topics held at the start")
                .register(meters);
    }

    /** One volatile read: on every forwarded request. */
    public boolean caughtUp() {
        return caughtUp;
    }

    /** The feed read the record at {@code offset} of this partition (applied, stale, a tombstone or unusable). */
    public void applied(String topic, int partition, long offset) {
        if (caughtUp) {
            return;
        }
        synchronized (core) {
            core.applied(new TopicPartition(topic, partition), offset);
            check();
        }
    }

    boolean hasTargets() {
        synchronized (core) {
            return core.hasTargets();
        }
    }

    void targets(Map<TopicPartition, Long> endOffsets) {
        synchronized (core) {
            core.targets(endOffsets);
            LOG.debugf("Routing topics' end offsets at the start: %s", endOffsets);
            check();
        }
    }

    void positions(Map<TopicPartition, Long> positions) {
        synchronized (core) {
            core.positions(positions, System.nanoTime());
            check();
        }
    }

    /** What is still missing, for the log. */
    String behind() {
        synchronized (core) {
            return core.behind(System.nanoTime());
        }
    }

    private void check() {
        if (!caughtUp && core.caughtUp(System.nanoTime())) {
            caughtUp = true;
            LOG.infof("Routing table caught up with gpufleet.models and gpufleet.instances %d ms after the start: "
                    + "ready", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        }
    }
}
