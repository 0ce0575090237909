package dev.gpufleet.scheduler.placement;

/**
 * One GPU of a worker as placement sees it.
 *
 * @param usedBytes    what the device reports as used (foreign processes included)
 * @param claimedBytes the sum of our instances' claims on it
 */
public record GpuCapacity(int index, long totalBytes, long usedBytes, long claimedBytes) {

    /** Total − reserved − max(claims, used): counting what the device reports closes the gap foreign processes leave. */
    public long allocatableBytes() {
        return totalBytes - FirstPlacement.GPU_RESERVED_BYTES - Math.max(claimedBytes, usedBytes);
    }

    public GpuCapacity withClaim(long bytes) {
        return new GpuCapacity(index, totalBytes, usedBytes, claimedBytes + bytes);
    }
}
