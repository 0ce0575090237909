package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.ObservedInstance;

import java.util.List;

/** The instances a worker's latest heartbeat lists, as stored (a JSON object column). */
public record ReportedInstances(List<ObservedInstance> instances) {
    public ReportedInstances {
        instances = instances == null ? List.of() : List.copyOf(instances);
    }
}
