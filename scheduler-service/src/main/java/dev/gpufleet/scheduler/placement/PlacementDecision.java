package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

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
     * Nowhere to go; {@code reason} is the summary (at most ten workers named); {@link #perWorker()} gives every
     * considered worker's problem by worker name, worked out on first use (a fleet-wide list costs milliseconds).
     */
    record NoFit(String reason, Supplier<SortedMap<String, String>> explain) implements PlacementDecision {
        public NoFit {
            Supplier<SortedMap<String, String>> source = explain == null ? TreeMap::new : explain;
            explain = new Supplier<>() {
                private SortedMap<String, String> value;

                @Override
                public synchronized SortedMap<String, String> get() {
                    if (value == null) {
                        value = Collections.unmodifiableSortedMap(new TreeMap<>(source.get()));
                    }
                    return value;
                }
            };
        }

        public NoFit(String reason) {
            this(reason, TreeMap::new);
        }

        public SortedMap<String, String> perWorker() {
            return explain.get();
        }
    }
}
