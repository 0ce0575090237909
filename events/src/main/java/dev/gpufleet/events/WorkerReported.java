package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * A worker agent's heartbeat: identity, labels, devices with live memory, host CPU and RAM, and what it runs.
 *
 * @param state                    {@link WorkerState#READY} or {@link WorkerState#NOT_READY}
 * @param heartbeatIntervalSeconds how often this agent reports; the scheduler marks it UNREACHABLE after 3 missed
 * @param address                  host or IP where the worker's backends listen
 */
public record WorkerReported(
        String workerId,
        String name,
        String address,
        int agentPort,
        String os,
        String arch,
        Map<String, String> labels,
        int cpuCores,
        double cpuUtilizationPercent,
        long memoryTotalBytes,
        long memoryUsedBytes,
        List<GpuDevice> gpus,
        WorkerState state,
        String stateMessage,
        List<ObservedInstance> instances,
        int heartbeatIntervalSeconds) implements EventPayload {

    public WorkerReported {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    @Override
    public String entityId() {
        return workerId;
    }
}
