package dev.gpufleet.events;

import java.util.List;

/**
 * A worker that contributes GPUs to a distributed instance (llama.cpp RPC servers, Ray workers).
 *
 * @param address where the main worker reaches it (its heartbeat's address); null from producers before it existed
 */
public record SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim, String address) {
    public SubordinateWorker {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
    }

    public SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim) {
        this(workerId, gpuIndexes, claim, null);
    }

    public SubordinateWorker withAddress(String newAddress) {
        return new SubordinateWorker(workerId, gpuIndexes, claim, newAddress);
    }
}
