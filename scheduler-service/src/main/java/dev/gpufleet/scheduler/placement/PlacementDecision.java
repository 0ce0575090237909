package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;

import java.util.List;

/** Where an instance goes, or why it cannot go anywhere yet. */
public sealed interface PlacementDecision {

    /** Placed on {@code workerId}; no GPU indexes means CPU only. {@code rationale} says why, for the admin API. */
    record Placed(String workerId, String workerName, List<Integer> gpuIndexes, ResourceClaim claim,
                  String rationale) implements PlacementDecision {
        public Placed {
            gpuIndexes = List.copyOf(gpuIndexes);
        }
    }

    /** Nowhere to go; {@code reason} names each worker's problem. */
    record NoFit(String reason) implements PlacementDecision {
    }
}
