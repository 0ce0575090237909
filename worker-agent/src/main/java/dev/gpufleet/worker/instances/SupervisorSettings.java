package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.backend.BinaryChoice;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * @param binaries      chosen anew for every start, so a llama-box installed while the agent runs is used next time
 * @param adoptionGrace how long after the scheduler's first event a backend left by an earlier run of the agent may
 *                      wait to be claimed before it is stopped
 */
public record SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                                 List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                                 Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                                 Duration adoptionGrace) {
    public static final Duration DEFAULT_ADOPTION_GRACE = Duration.ofSeconds(10);

    public SupervisorSettings {
        devices = List.copyOf(devices);
    }

    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, DEFAULT_ADOPTION_GRACE);
    }
}
