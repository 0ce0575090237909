package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.MindieSettings;
import dev.gpufleet.worker.backend.RaySettings;
import dev.gpufleet.worker.backend.RpcServers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * @param devices         this worker's GPUs as detected now (asked at every start: a heartbeat may have found
 *                        others since)
 * @param binaries        chosen anew for every start, so a llama-box installed while the agent runs is used next time
 * @param backendBinaries the program of every other backend (vllm, vox-box, mindie), also chosen for every start
 * @param clusterToken    keys the per-instance API keys; null starts backends without one
 * @param rpcPortRange    the llama.cpp RPC servers' ports (gpufleet.worker.rpc-port-range)
 * @param adoptionGrace   how long after the scheduler's first event a backend left by an earlier run of the agent
 *                        may wait to be claimed before it is stopped
 * @param ray             Ray's ports and this worker's address, for vLLM across workers
 * @param mindie          MindIE's inter-node port, for MindIE across workers
 * @param previousBackendKeySecret during a rotation of the backend-key secret, the one before {@code clusterToken}:
 *                        the authenticating proxy accepts the keys derived from both; null outside a rotation
 */
public record SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                                 Supplier<List<GpuDevice>> devices, Supplier<BinaryChoice> binaries,
                                 Duration startTimeout, Duration livenessInterval, Duration probeTimeout,
                                 Duration stopTimeout, Function<String, BinaryChoice> backendBinaries,
                                 String clusterToken, String rpcPortRange, Duration adoptionGrace,
                                 RaySettings ray, MindieSettings mindie, String previousBackendKeySecret) {
    public static final Duration DEFAULT_ADOPTION_GRACE = Duration.ofSeconds(10);

    public SupervisorSettings {
        mindie = mindie == null ? MindieSettings.DEFAULT : mindie;
    }

    /** Outside a rotation of the backend-key secret. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              Supplier<List<GpuDevice>> devices, Supplier<BinaryChoice> binaries,
                              Duration startTimeout, Duration livenessInterval, Duration probeTimeout,
                              Duration stopTimeout, Function<String, BinaryChoice> backendBinaries,
                              String clusterToken, String rpcPortRange, Duration adoptionGrace,
                              RaySettings ray, MindieSettings mindie) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backendBinaries, clusterToken, rpcPortRange, adoptionGrace, ray, mindie,
                null);
    }

    /** Without the secrets. */
    @Override
    public String toString() {
        return "SupervisorSettings[worker " + workerId + ", data dir " + dataDir + ", backend host " + backendHost
                + ", ports " + portRange + ", rpc ports " + rpcPortRange + ", backend keys "
                + (clusterToken == null ? "off" : previousBackendKeySecret == null ? "on" : "on, rotating") + "]";
    }

    /** The keys an instance's backend is called with: from the secret and, during a rotation, the previous one. */
    public List<String> acceptedKeys(String instanceId) {
        List<String> keys = new java.util.ArrayList<>();
        if (clusterToken != null) {
            keys.add(dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(clusterToken, instanceId));
        }
        if (previousBackendKeySecret != null) {
            keys.add(dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(previousBackendKeySecret, instanceId));
        }
        return keys;
    }

    /** Live devices, every backend, Ray's settings, MindIE's default inter-node port. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              Supplier<List<GpuDevice>> devices, Supplier<BinaryChoice> binaries,
                              Duration startTimeout, Duration livenessInterval, Duration probeTimeout,
                              Duration stopTimeout, Function<String, BinaryChoice> backendBinaries,
                              String clusterToken, String rpcPortRange, Duration adoptionGrace, RaySettings ray) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backendBinaries, clusterToken, rpcPortRange, adoptionGrace, ray,
                MindieSettings.DEFAULT);
    }

    /** Fixed devices, llama-box only, without API keys. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, DEFAULT_ADOPTION_GRACE);
    }

    /** Fixed devices, llama-box only, without API keys, with an adoption grace. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                              Duration adoptionGrace) {
        this(workerId, dataDir, backendHost, portRange, devices, binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backend -> new BinaryChoice(List.of(), "no " + backend
                        + " backend is configured for this supervisor"), null, RpcServers.DEFAULT_RANGE,
                adoptionGrace);
    }

    /** Fixed devices, every backend. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                              Function<String, BinaryChoice> backendBinaries, String clusterToken,
                              String rpcPortRange) {
        this(workerId, dataDir, backendHost, portRange, fixed(devices), binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backendBinaries, clusterToken, rpcPortRange, DEFAULT_ADOPTION_GRACE,
                RaySettings.LOCAL);
    }

    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                              Function<String, BinaryChoice> backendBinaries, String clusterToken,
                              String rpcPortRange, Duration adoptionGrace) {
        this(workerId, dataDir, backendHost, portRange, fixed(devices), binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backendBinaries, clusterToken, rpcPortRange, adoptionGrace,
                RaySettings.LOCAL);
    }

    /** Fixed devices, every backend, Ray's settings. */
    public SupervisorSettings(String workerId, Path dataDir, String backendHost, String portRange,
                              List<GpuDevice> devices, Supplier<BinaryChoice> binaries, Duration startTimeout,
                              Duration livenessInterval, Duration probeTimeout, Duration stopTimeout,
                              Function<String, BinaryChoice> backendBinaries, String clusterToken,
                              String rpcPortRange, Duration adoptionGrace, RaySettings ray) {
        this(workerId, dataDir, backendHost, portRange, fixed(devices), binaries, startTimeout, livenessInterval,
                probeTimeout, stopTimeout, backendBinaries, clusterToken, rpcPortRange, adoptionGrace, ray);
    }

    private static Supplier<List<GpuDevice>> fixed(List<GpuDevice> devices) {
        List<GpuDevice> copy = List.copyOf(devices);
        return () -> copy;
    }
}
