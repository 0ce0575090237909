package dev.gpufleet.worker.backend;

import java.util.Optional;
import java.util.function.Function;

/**
 * What the Ray processes of a multi-worker vLLM instance need from this worker.
 *
 * @param ports         Ray's ports ({@code gpufleet.worker.ray.*}); the GCS port must be the same on every worker
 * @param nodeAddress   this worker's own address (gpufleet.worker.address or the detected one): Ray's
 *                      {@code --node-ip-address}, and what a subordinate's Ray worker dials on the main worker
 * @param workerAddress the address another worker reported, by worker id (a subordinate needs the main worker's)
 */
public record RaySettings(RayCommands.Ports ports, String nodeAddress,
                          Function<String, Optional<String>> workerAddress) {
    /** GPUStack's ports, this host's loopback, no other worker known. */
    public static final RaySettings LOCAL = new RaySettings(RayCommands.Ports.DEFAULT, "127.0.0.1",
            id -> Optional.empty());

    public RaySettings {
        workerAddress = workerAddress == null ? id -> Optional.empty() : workerAddress;
    }
}
