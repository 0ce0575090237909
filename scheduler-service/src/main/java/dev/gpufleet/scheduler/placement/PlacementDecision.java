package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Where an instance goes, or why it cannot go anywhere yet. */
public sealed interface PlacementDecision {

    /**
     * Placed on {@code workerId}; no GPU indexes means CPU only. {@code rationale} says why in one line (shape,
     * claim, score), for the admin API; {@code warnings} are set when manual GPU selection was overcommitted.
     */
    record Placed(String workerId, String workerName, List<Integer> gpuIndexes, ResourceClaim claim,
                  PlacementShape shape, List<SubordinateWorker> subordinates, double score, String rationale,
                  List<String> warnings) implements PlacementDecision {
        public Placed {
            gpuIndexes = List.copyOf(gpuIndexes);
            subordinates = subordinates == null ? List.of() : List.copyOf(subordinates);
            warnings = warnings == null ? List.of() : List.copyOf(warnings);
        }
    }

    /**
     * Nowhere to go; {@code reason} is the summary (at most ten workers named), {@code perWorker} every considered
     * worker's problem by worker name.
     */
    record NoFit(String reason, SortedMap<String, String> perWorker) implements PlacementDecision {
        public NoFit {
            perWorker = perWorker == null ? new TreeMap<>() : java.util.Collections.unmodifiableSortedMap(
                    new TreeMap<>(perWorker));
        }

        public NoFit(String reason) {
            this(reason, new TreeMap<>(Map.of()));
        }
    }
}
