package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.RpcServers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * @param binaries        chosen anew for every start, so a llama-box installed while the agent runs is used next time
 * @param backendBinaries the program of every other backend (vllm, vox-box, mindie), also chosen for every start
 * @param clusterToken    keys the per-instance API keys; null starts backends without one
 * @param rpcPortRange    the llama.cpp RPC servers' ports (gpufleet.worker.rpc-port-range)
 */
public record SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                                 List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                                 Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                                 Function<String, BinaryChoice> backendBinaries, String clusterToken,
                                 String rpcPortRange) {
    public SupervisorSettings {
        devices = List.copyOf(devices);
    }

    /** llama-box only, without API keys. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backend -> new BinaryChoice(List.of(), "no " + backend
                        + " backend is configured for this supervisor"), null, RpcServers.DEFAULT_RANGE);
    }
}
