package dev.gpufleet.events;

/**
 * One accelerator as the agent sees it now.
 *
 * @param vendor    {@code nvidia}, {@code ascend}, {@code amd}, {@code apple}
 * @param type      the vendor's runtime name used in GPU selectors: {@code cuda}, {@code npu}, {@code rocm}, {@code mps}
 * @param name      the product name, e.g. "NVIDIA H100 80GB HBM3"
 */
public record GpuDevice(int index, String vendor, String type, String name, String uuid,
                        long memoryTotalBytes, long memoryUsedBytes, double utilizationPercent) {
}
