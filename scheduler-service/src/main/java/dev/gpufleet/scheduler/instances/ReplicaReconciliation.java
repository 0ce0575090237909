package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.PlacementShape;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Decides how a model's instances must change so that it has exactly one instance per wanted replica.
 * An instance placed to take over from another one still there (make before break) is the same replica as that one:
 * the two count once, and a replica that goes takes both. Pure: the caller loads the model and its instances, and
 * applies the plan.
 */
public final class ReplicaReconciliation {

    /** What the model asks for; a deleted model wants no instances. */
    public record Desired(int replicas, boolean deleted) {
        int wanted() {
            return deleted ? 0 : Math.max(0, replicas);
        }
    }

    /** How much of an instance sits on GPUs; the least offloaded go first when scaling down. */
    public enum Offload {
        CPU_ONLY, PARTIAL, FULL;

        /**
         * From the placement's shape where it has one, else from the VRAM it claims (none: CPU only).
         *
         * @param kind null for instances placed before shapes were kept
         */
        public static Offload of(PlacementShape.Kind kind, long claimedGpuBytes) {
            if (kind == null) {
                return claimedGpuBytes > 0 ? FULL : CPU_ONLY;
            }
            return switch (kind) {
                case CPU_ONLY -> CPU_ONLY;
                case PARTIAL_OFFLOAD -> PARTIAL;
                case SINGLE_GPU, MULTI_GPU, DISTRIBUTED -> FULL;
            };
        }
    }

    /**
     * An instance the model has now.
     *
     * @param offload  null while not placed
     * @param score    the placement's score; null when unknown (goes before any known score)
     * @param replaces the instance this one is to take over from; null for none
     */
    public record Current(UUID id, InstanceState state, Instant createdAt, Offload offload, Double score,
                          UUID replaces) {
        public Current(UUID id, InstanceState state, Instant createdAt) {
            this(id, state, createdAt, null, null, null);
        }

        public Current(UUID id, InstanceState state, Instant createdAt, Offload offload, Double score) {
            this(id, state, createdAt, offload, score, null);
        }
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
     * Surplus instances go in GPUStack's order: unhealthy ones first (see {@link #healthRank}), then the least
     * offloaded (they free the least GPU, and serve slowest), then the lowest placement score, then the newest (the
     * oldest have proven themselves longest); the id breaks ties so the choice is deterministic.
     */
    static final Comparator<Current> REMOVAL_ORDER = Comparator
            .comparingInt((Current c) -> healthRank(c.state()))
            .thenComparing(Current::offload, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Current::score, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(Current::createdAt, Comparator.reverseOrder())
            .thenComparing(Current::id, Comparator.reverseOrder());

    /** ERROR, UNREACHABLE, PENDING, then the states on the way to RUNNING, then RUNNING. */
    static int healthRank(InstanceState state) {
        return switch (state) {
            case ERROR -> 0;
            case UNREACHABLE -> 1;
            case PENDING -> 2;
            case SCHEDULED, DOWNLOADING, STARTING -> 3;
            case RUNNING -> 4;
        };
    }

    private ReplicaReconciliation() {
    }

    public static Plan plan(Desired desired, List<Current> current) {
        int wanted = desired.wanted();
        Set<UUID> present = current.stream().map(Current::id).collect(Collectors.toSet());
        List<Current> replicas = current.stream()
                .filter(c -> c.replaces() == null || !present.contains(c.replaces()))
                .toList();
        if (replicas.size() <= wanted) {
            return new Plan(wanted - replicas.size(), List.of());
        }
        List<UUID> surplus = replicas.stream()
                .sorted(REMOVAL_ORDER)
                .limit(replicas.size() - wanted)
                .map(Current::id)
                .toList();
        return new Plan(0, withReplacements(surplus, current));
    }

    /** The instances to delete and, after each, those placed to take over from it (a replica goes as a whole). */
    private static List<UUID> withReplacements(List<UUID> going, List<Current> current) {
        List<UUID> all = new ArrayList<>();
        Deque<UUID> next = new ArrayDeque<>(going);
        while (!next.isEmpty()) {
            UUID id = next.removeFirst();
            if (all.contains(id)) {
                continue;
            }
            all.add(id);
            current.stream().filter(c -> id.equals(c.replaces())).map(Current::id).forEach(next::addLast);
        }
        return all;
    }
}
