package dev.gpufleet.events;

/**
 * vox-box: fixed needs by model family, on one GPU or on the CPU.
 *
 * @param gpu     RAM and VRAM when it runs on one GPU
 * @param cpuOnly RAM when it runs on the CPU ({@code vramBytes} 0)
 */
public record FixedSizing(ResourceEstimate gpu, ResourceEstimate cpuOnly) {
}
