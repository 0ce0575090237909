package dev.gpufleet.worker.backend;

/**
 * What the Ray processes of a multi-worker vLLM instance need from this worker (the main worker's address, which a
 * subordinate's Ray worker dials, comes with the instance: {@code InstanceChanged.workerAddress}).
 *
 * @param ports       Ray's ports ({@code gpufleet.worker.ray.*}); the GCS port must be the same on every worker
 * @param nodeAddress this worker's own address (gpufleet.worker.address or the detected one): Ray's
 *                    {@code --node-ip-address}
 */
public record RaySettings(RayCommands.Ports ports, String nodeAddress) {
    /** GPUStack's ports, this host's loopback. */
    public static final RaySettings LOCAL = new RaySettings(RayCommands.Ports.DEFAULT, "127.0.0.1");
}
