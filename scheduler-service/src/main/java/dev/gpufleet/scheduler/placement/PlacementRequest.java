package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;

import java.util.Map;

/**
 * What one instance needs.
 *
 * @param estimate null when the registry has none yet
 */
public record PlacementRequest(String backend, boolean cpuOffloading, Map<String, String> workerSelector,
                               ResourceEstimate estimate) {

    public PlacementRequest {
        workerSelector = workerSelector == null ? Map.of() : Map.copyOf(workerSelector);
    }

    public static PlacementRequest of(ModelSpec spec, ResourceEstimate estimate) {
        return new PlacementRequest(spec.backend(), spec.cpuOffloading(), spec.workerSelector(), estimate);
    }
}
