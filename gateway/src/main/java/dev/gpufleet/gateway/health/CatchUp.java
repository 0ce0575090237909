package dev.gpufleet.gateway.health;

import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;

/**
 * Whether the routing table's consumers have read, once, everything their topics held when the gateway started:
 * the pure core of {@link RoutingCatchUp}. The target is each partition's end offset as first seen after the
 * start. A partition is caught up once a record at or past its target's last offset has been applied; or, where
 * the log has no record there to apply (a gap at its end), once the consumer's position has stood at or past the
 * target for {@code settleNanos} with nothing more applied on it meanwhile, so that whatever the consumer fetched
 * has been applied. Once caught up it stays so. Not thread-safe: the adapter serialises the calls.
 */
final class CatchUp {
    private final long settleNanos;
    /** The end offset of every partition of the routing topics; null until known. */
    private Map<TopicPartition, Long> targets;
    /** The offset after the last record applied, per partition. */
    private final Map<TopicPartition, Long> applied = new HashMap<>();
    /** Per partition whose position has reached its target: when that was seen, and what had been applied then. */
    private final Map<TopicPartition, long[]> reached = new HashMap<>();
    private boolean caughtUp;

    CatchUp(long settleNanos) {
        this.settleNanos = settleNanos;
    }

    boolean hasTargets() {
        return targets != null;
    }

    /** The end offsets first seen after the start; later calls change nothing. */
    void targets(Map<TopicPartition, Long> endOffsets) {
        if (targets == null) {
            targets = Map.copyOf(endOffsets);
        }
    }

    /** A record of this partition was applied (or skipped as unusable: either way, read). */
    void applied(TopicPartition partition, long offset) {
        applied.merge(partition, offset + 1, Math::max);
    }

    /** The consumers' positions ({@link org.apache.kafka.clients.consumer.Consumer#position}) at {@code nowNanos}. */
    void positions(Map<TopicPartition, Long> positions, long nowNanos) {
        if (targets == null) {
            return;
        }
        positions.forEach((partition, position) -> {
            Long target = targets.get(partition);
            if (target == null || position < target) {
                return;
            }
            long appliedNow = applied.getOrDefault(partition, 0L);
            long[] seen = reached.get(partition);
            if (seen == null || seen[1] != appliedNow) {
                reached.put(partition, new long[]{nowNanos, appliedNow});
            }
        });
    }

    boolean caughtUp(long nowNanos) {
        if (caughtUp) {
            return true;
        }
        if (targets == null) {
            return false;
        }
        for (Map.Entry<TopicPartition, Long> target : targets.entrySet()) {
            if (!partitionCaughtUp(target.getKey(), target.getValue(), nowNanos)) {
                return false;
            }
        }
        caughtUp = true;
        return true;
    }

    private boolean partitionCaughtUp(TopicPartition partition, long target, long nowNanos) {
        long appliedUpTo = applied.getOrDefault(partition, 0L);
        if (appliedUpTo >= target) {
            return true;
        }
        long[] seen = reached.get(partition);
        return seen != null && seen[1] == appliedUpTo && nowNanos - seen[0] >= settleNanos;
    }

    /** Partitions not caught up yet, with what they wait for: for the log. */
    String behind(long nowNanos) {
        if (targets == null) {
            return "end offsets not known yet";
        }
        StringBuilder text = new StringBuilder();
        targets.forEach((partition, target) -> {
            if (!partitionCaughtUp(partition, target, nowNanos)) {
                text.append(text.isEmpty() ? "" : ", ").append(partition).append(" at ")
                        .append(applied.getOrDefault(partition, 0L)).append(" of ").append(target);
            }
        });
        return text.toString();
    }
}
