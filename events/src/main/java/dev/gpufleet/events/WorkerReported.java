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
 * @param modelFiles               the model file sets on this worker; empty from agents before this field
 * @param modelDirectory           the models directory's disk; null from agents before this field
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
        Long heartbeatSequence,
        List<BackendVersion> backendVersions,
        List<ModelFileSet> modelFiles,
        ModelDirectory modelDirectory) implements EventPayload {

    public WorkerReported {
        modelFiles = modelFiles == null ? List.of() : List.copyOf(modelFiles);
        backendVersions = backendVersions == null ? List.of() : List.copyOf(backendVersions);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    /** A heartbeat without model files (as agents before those fields sent them). */
    public WorkerReported(String workerId, String name, String address, int agentPort, String os, String arch,
                          Map<String, String> labels, int cpuCores, double cpuUtilizationPercent,
                          long memoryTotalBytes, long memoryUsedBytes, List<GpuDevice> gpus, WorkerState state,
                          String stateMessage, List<ObservedInstance> instances, int heartbeatIntervalSeconds,
                          String agentRunId, Long heartbeatSequence, List<BackendVersion> backendVersions) {
        this(workerId, name, address, agentPort, os, arch, labels, cpuCores, cpuUtilizationPercent, memoryTotalBytes,
                memoryUsedBytes, gpus, state, stateMessage, instances, heartbeatIntervalSeconds, agentRunId,
                heartbeatSequence, backendVersions, List.of(), null);
    }

    /** A heartbeat without engine versions (as agents before that field sent them). */
    public WorkerReported(String workerId, String name, String address, int agentPort, String os, String arch,
                          Map<String, String> labels, int cpuCores, double cpuUtilizationPercent,
                          long memoryTotalBytes, long memoryUsedBytes, List<GpuDevice> gpus, WorkerState state,
                          String stateMessage, List<ObservedInstance> instances, int heartbeatIntervalSeconds,
                          String agentRunId, Long heartbeatSequence) {
        this(workerId, name, address, agentPort, os, arch, labels, cpuCores, cpuUtilizationPercent, memoryTotalBytes,
                memoryUsedBytes, gpus, state, stateMessage, instances, heartbeatIntervalSeconds, agentRunId,
                heartbeatSequence, List.of());
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
                heartbeatIntervalSeconds, runId, sequence, backendVersions, modelFiles, modelDirectory);
    }

    /** This heartbeat with the engine versions the agent has. */
    public WorkerReported withBackendVersions(List<BackendVersion> versions) {
        return new WorkerReported(workerId, name, address, agentPort, os, arch, labels, cpuCores,
                cpuUtilizationPercent, memoryTotalBytes, memoryUsedBytes, gpus, state, stateMessage, instances,
                heartbeatIntervalSeconds, agentRunId, heartbeatSequence, versions, modelFiles, modelDirectory);
    }

    /** This heartbeat with the model file sets on the worker and its models directory's disk. */
    public WorkerReported withModelFiles(List<ModelFileSet> files, ModelDirectory directory) {
        return new WorkerReported(workerId, name, address, agentPort, os, arch, labels, cpuCores,
                cpuUtilizationPercent, memoryTotalBytes, memoryUsedBytes, gpus, state, stateMessage, instances,
                heartbeatIntervalSeconds, agentRunId, heartbeatSequence, backendVersions, files, directory);
    }

    @Override
    public String entityId() {
        return workerId;
    }
}
