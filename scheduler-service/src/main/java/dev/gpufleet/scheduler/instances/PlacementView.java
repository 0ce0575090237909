package dev.gpufleet.scheduler.instances;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.placement.PlacementDecision;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * A placement as the admin API shows it: where an instance went and why (shape, claim, score, rationale), or, when
 * it fits nowhere, the summary and each worker's reason.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PlacementView(boolean fits, String workerId, String workerName, List<Integer> gpuIndexes,
                            InstanceView.Claim claim, Shape shape, List<Subordinate> subordinateWorkers, Double score,
                            String rationale, List<String> warnings, String reason,
                            SortedMap<String, String> perWorker) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Shape(String kind, int gpuLayers, List<Double> tensorSplit, int tensorParallelSize,
                        int pipelineParallelSize) {
        static Shape of(PlacementShape s) {
            return s == null ? null : new Shape(s.kind().name(), s.gpuLayers(), s.tensorSplit(),
                    s.tensorParallelSize(), s.pipelineParallelSize());
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Subordinate(String workerId, List<Integer> gpuIndexes, InstanceView.Claim claim) {
        static List<Subordinate> of(List<SubordinateWorker> subordinates) {
            return subordinates.isEmpty() ? null : subordinates.stream()
                    .map(s -> new Subordinate(s.workerId(), s.gpuIndexes(), InstanceView.Claim.of(s.claim())))
                    .toList();
        }
    }

    static PlacementView of(PlacementDecision decision) {
        if (decision instanceof PlacementDecision.Placed p) {
            return new PlacementView(true, p.workerId(), p.workerName(), p.gpuIndexes(),
                    InstanceView.Claim.of(p.claim()), Shape.of(p.shape()), Subordinate.of(p.subordinates()),
                    p.score(), p.rationale(), p.warnings().isEmpty() ? null : p.warnings(), null, null);
        }
        PlacementDecision.NoFit noFit = (PlacementDecision.NoFit) decision;
        return new PlacementView(false, null, null, null, null, null, null, null, null, null, noFit.reason(),
                noFit.perWorker());
    }

    /** What a placed instance keeps of its placement; null for one not placed or stored before rationales. */
    static PlacementView of(Instance instance) {
        Assignment a = instance.assignment;
        if (a == null || instance.workerId == null) {
            return null;
        }
        return new PlacementView(true, instance.workerId, instance.workerName, a.gpuIndexes(),
                InstanceView.Claim.of(a.claim()), Shape.of(a.shape()), Subordinate.of(a.subordinates()), a.score(),
                a.rationale(), null, null, null);
    }

    /** Why a PENDING instance fits nowhere now, per worker. */
    static PlacementView pending(String reason, Map<String, String> perWorker) {
        return new PlacementView(false, null, null, null, null, null, null, null, null, null, reason,
                new java.util.TreeMap<>(perWorker));
    }
}
