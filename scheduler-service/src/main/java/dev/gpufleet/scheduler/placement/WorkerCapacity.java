package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.WorkerState;

import java.util.List;
import java.util.Map;

/**
 * A worker as placement sees it: its state and labels, host RAM and GPUs, each with what our instances on it
 * already claim.
 */
public record WorkerCapacity(String id, String name, WorkerState state, Map<String, String> labels,
                             long ramTotalBytes, long ramUsedBytes, long ramClaimedBytes, List<GpuCapacity> gpus) {

    public WorkerCapacity {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    /** Total − reserved − max(claims, used), as for GPUs. */
    public long allocatableRamBytes() {
        return ramTotalBytes - FirstPlacement.RAM_RESERVED_BYTES - Math.max(ramClaimedBytes, ramUsedBytes);
    }

    /** The same worker once {@code claim} is held on it too. */
    public WorkerCapacity withClaim(ResourceClaim claim) {
        List<GpuCapacity> claimed = gpus.stream()
                .map(gpu -> gpu.withClaim(claim.vramBytesByGpu().getOrDefault(gpu.index(), 0L)))
                .toList();
        return new WorkerCapacity(id, name, state, labels, ramTotalBytes, ramUsedBytes,
                ramClaimedBytes + claim.ramBytes(), claimed);
    }
}
