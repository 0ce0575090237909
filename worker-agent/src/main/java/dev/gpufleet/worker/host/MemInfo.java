package dev.gpufleet.worker.host;

/** Host RAM in bytes. Used is what the kernel cannot hand out now: total minus available. */
public record MemInfo(long totalBytes, long availableBytes) {
    public long usedBytes() {
        return totalBytes - availableBytes;
    }
}
