package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.usage.MeasuredUsageStore;
import dev.gpufleet.scheduler.workers.Worker;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Where a model's next instance would go now, without placing it: the placement engine over the cluster as the
 * database has it (no lock: a preview may be a moment stale). Run in a session.
 */
@ApplicationScoped
public class PlacementPreview {
    private final MeasuredUsageStore measuredUsage;
    private final PlacementSettings settings;

    public PlacementPreview(MeasuredUsageStore measuredUsage, PlacementSettings settings) {
        this.measuredUsage = measuredUsage;
        this.settings = settings;
    }

    public Uni<PlacementDecision> evaluate(String modelId, ModelSpec spec, ResourceEstimate estimate) {
        return measuredUsage.peaks(modelId, spec.backend())
                .chain(measured -> Worker.<Worker>listAll()
                        .chain(workers -> Instance.<Instance>list("workerId is not null")
                                .map(placed -> PlacementEngine.place(CapacitySnapshot.of(workers, placed, settings).cluster(),
                                        PlacementRequest.of(modelId, spec, estimate).withMeasuredVram(measured)))));
    }
}
