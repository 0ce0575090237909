package dev.gpufleet.events;

import java.util.List;

/** A worker that contributes GPUs to a distributed instance (llama.cpp RPC servers, Ray workers). */
public record SubordinateWorker(String workerId, List<Integer> gpuIndexes, ResourceClaim claim) {
    public SubordinateWorker {
        gpuIndexes = gpuIndexes == null ? List.of() : List.copyOf(gpuIndexes);
    }
}
