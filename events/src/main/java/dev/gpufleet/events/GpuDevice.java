package dev.gpufleet.events;

/**
 * One accelerator as the agent sees it now.
 *
 * @param vendor    {@code nvidia}, {@code ascend}, {@code amd}, {@code apple}
 * @param type      the vendor's runtime name used in GPU selectors: {@code cuda}, {@code npu}, {@code rocm}, {@code mps}
 * @param name      the product name, e.g. "NVIDIA H100 80GB HBM3"
 * @param deviceIp  an Ascend NPU's own network address (its RoCE port, {@code hccn_tool -i <n> -ip -g}), which
 *                  multi-node MindIE's rank table lists; null for other devices, NPUs without one, and from agents
 *                  before it existed
 */
public record GpuDevice(int index, String vendor, String type, String name, String uuid,
                        long memoryTotalBytes, long memoryUsedBytes, double utilizationPercent, String deviceIp) {

    public GpuDevice(int index, String vendor, String type, String name, String uuid, long memoryTotalBytes,
                     long memoryUsedBytes, double utilizationPercent) {
        this(index, vendor, type, name, uuid, memoryTotalBytes, memoryUsedBytes, utilizationPercent, null);
    }

    public GpuDevice withDeviceIp(String newDeviceIp) {
        return new GpuDevice(index, vendor, type, name, uuid, memoryTotalBytes, memoryUsedBytes, utilizationPercent,
                newDeviceIp);
    }

    public GpuDevice withIndex(int newIndex) {
        return new GpuDevice(newIndex, vendor, type, name, uuid, memoryTotalBytes, memoryUsedBytes,
                utilizationPercent, deviceIp);
    }

    public GpuDevice withMemoryUsed(long newUsedBytes) {
        return new GpuDevice(index, vendor, type, name, uuid, memoryTotalBytes, newUsedBytes, utilizationPercent,
                deviceIp);
    }
}
