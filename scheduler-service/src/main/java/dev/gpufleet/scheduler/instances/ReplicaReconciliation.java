package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * Decides how a model's instances must change so that it has exactly one instance per wanted replica.
 * Pure: the caller loads the model and its instances, and applies the plan.
 */
public final class ReplicaReconciliation {

    /** What the model asks for; a deleted model wants no instances. */
    public record Desired(int replicas, boolean deleted) {
        int wanted() {
            return deleted ? 0 : Math.max(0, replicas);
        }
    }

    /** An instance the model has now. */
    public record Current(UUID id, InstanceState state, Instant createdAt) {
    }

    /** {@code create} new PENDING instances; delete the instances in {@code delete}. */
    public record Plan(int create, List<UUID> delete) {
        public Plan {
            delete = List.copyOf(delete);
        }

        public boolean isEmpty() {
            return create == 0 && delete.isEmpty();
        }
    }

    /**
     * Surplus instances go in this order: PENDING ones first (they serve nothing yet), then the newest (the
     * oldest have proven themselves longest); the id breaks ties so the choice is deterministic.
     */
    static final Comparator<Current> REMOVAL_ORDER = Comparator
            .comparing((Current c) -> c.state() != InstanceState.PENDING)
            .thenComparing(Current::createdAt, Comparator.reverseOrder())
            .thenComparing(Current::id, Comparator.reverseOrder());

    private ReplicaReconciliation() {
    }

    public static Plan plan(Desired desired, List<Current> current) {
        int wanted = desired.wanted();
        if (current.size() <= wanted) {
            return new Plan(wanted - current.size(), List.of());
        }
        List<UUID> surplus = current.stream()
                .sorted(REMOVAL_ORDER)
                .limit(current.size() - wanted)
                .map(Current::id)
                .toList();
        return new Plan(0, surplus);
    }
}
