package dev.gpufleet.worker.report;

import dev.gpufleet.events.BackendVersion;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.worker.backend.ConfiguredBackendVersions;
import dev.gpufleet.worker.host.HostResources;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the heartbeat payload. The worker is READY unless something it must report could not be read or
 * configured; then it is NOT_READY and {@code stateMessage} says what, so the scheduler places nothing on it and
 * an operator sees why, while the agent keeps running and reporting.
 */
public final class ReportAssembler {
    /** Always the detected values; a configured label with one of these names is overridden. */
    public static final String LABEL_OS = "os";
    public static final String LABEL_ARCH = "arch";
    public static final String LABEL_WORKER_NAME = "worker-name";

    private ReportAssembler() {
    }

    public static WorkerReported assemble(AgentSetup setup, HostResources host, int agentPort) {
        return assemble(setup, host, agentPort, List.of());
    }

    /** @param instances what the agent runs or failed to run, with the state it observes */
    public static WorkerReported assemble(AgentSetup setup, HostResources host, int agentPort,
                                          List<ObservedInstance> instances) {
        return assemble(setup, host, agentPort, instances, "");
    }

    /**
     * @param backendVersionsSetting {@code gpufleet.worker.backend-versions}: the versions the heartbeat lists; a
     *                               bad setting makes the worker NOT_READY, saying which entry
     */
    public static WorkerReported assemble(AgentSetup setup, HostResources host, int agentPort,
                                          List<ObservedInstance> instances, String backendVersionsSetting) {
        List<String> problems = new ArrayList<>();
        List<BackendVersion> versions = List.of();
        try {
            versions = ConfiguredBackendVersions.parse(backendVersionsSetting);
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        setup.devices().problem().ifPresent(problems::add);
        Map<String, String> labels = new LinkedHashMap<>();
        try {
            labels.putAll(Labels.parse(setup.labelsSetting().orElse("")));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        labels.put(LABEL_OS, setup.os());
        labels.put(LABEL_ARCH, setup.arch());
        labels.put(LABEL_WORKER_NAME, setup.identity().name());
        problems.addAll(host.problems());

        WorkerState state = problems.isEmpty() ? WorkerState.READY : WorkerState.NOT_READY;
        return new WorkerReported(setup.identity().workerId(), setup.identity().name(), setup.address(), agentPort,
                setup.os(), setup.arch(), labels, host.cpuCores(), host.cpuUtilizationPercent(),
                host.memoryTotalBytes(), host.memoryUsedBytes(), setup.devices().gpus(), state,
                problems.isEmpty() ? null : String.join("; ", problems), instances, setup.heartbeatIntervalSeconds())
                .withBackendVersions(versions);
    }

    /** Whole seconds, rounded up and at least 1: the scheduler counts missed beats in these. */
    public static int intervalSeconds(Duration interval) {
        long millis = interval.toMillis();
        return (int) Math.max(1, (millis + 999) / 1000);
    }
}
