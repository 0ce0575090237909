package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * A worker agent's heartbeat: identity, labels, devices with live memory, host CPU and RAM, and what it runs.
 *
 * @param state                    {@link WorkerState#READY} or {@link WorkerState#NOT_READY}
 * @param heartbeatIntervalSeconds how often this agent reports; the scheduler marks it UNREACHABLE after 3 missed
 * @param address                  host or IP where the worker's backends listen
 * @param agentRunId               identifies one run of the agent process (new at every start); null from agents
 *                                 before this field
 * @param heartbeatSequence        1, 2, 3, … for each heartbeat one run of the agent builds, sent or not: with
 *                                 {@code occurredAt} it lets the scheduler tell a worker's own silence (a gap)
 *                                 from its heartbeats arriving late together (none); null with {@code agentRunId}
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
        int heartbeatIntervalSeconds,
        String agentRunId,
        Long heartbeatSequence) implements EventPayload {

    public WorkerReported {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    /** A heartbeat without its place in the agent's sequence (as agents before that field sent them). */
    public WorkerReported(String workerId, String name, String address, int agentPort, String os, String arch,
                          Map<String, String> labels, int cpuCores, double cpuUtilizationPercent,
                          long memoryTotalBytes, long memoryUsedBytes, List<GpuDevice> gpus, WorkerState state,
                          String stateMessage, List<ObservedInstance> instances, int heartbeatIntervalSeconds) {
        this(workerId, name, address, agentPort, os, arch, labels, cpuCores, cpuUtilizationPercent, memoryTotalBytes,
                memoryUsedBytes, gpus, state, stateMessage, instances, heartbeatIntervalSeconds, null, null);
    }

    /** This heartbeat as heartbeat {@code sequence} of agent run {@code runId}. */
    public WorkerReported inSequence(String runId, long sequence) {
        return new WorkerReported(workerId, name, address, agentPort, os, arch, labels, cpuCores,
                cpuUtilizationPercent, memoryTotalBytes, memoryUsedBytes, gpus, state, stateMessage, instances,
                heartbeatIntervalSeconds, runId, sequence);
    }

    @Override
    public String entityId() {
        return workerId;
    }
}
