package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.backend.BinaryChoice;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * @param binaries chosen anew for every start, so a llama-box installed while the agent runs is used next time
 */
public record SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                                 List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                                 Duration livenessInterval, Duration probeTimeout, Duration stopTimeout) {
    public SupervisorSettings {
        devices = List.copyOf(devices);
    }
}
