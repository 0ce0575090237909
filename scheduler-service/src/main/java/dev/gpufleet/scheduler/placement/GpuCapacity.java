package dev.gpufleet.scheduler.placement;

/**
 * One GPU of a worker as placement sees it.
 *
 * @param vendor       {@code nvidia}, {@code amd}, {@code ascend}, {@code apple}
 * @param type         the runtime name used in GPU selectors: {@code cuda}, {@code rocm}, {@code npu}, {@code mps}
 * @param productName  e.g. "NVIDIA H100 80GB HBM3": measured usage is kept per product
 * @param usedBytes    what the device reports as used (foreign processes included)
 * @param claimedBytes the sum of our instances' claims on it
 * @param deviceIp     an Ascend NPU's RoCE address from {@code hccn_tool} (null when none was reported): MindIE
 *                     across workers lists it in its rank table
 */
public record GpuCapacity(int index, String vendor, String type, String productName, long totalBytes,
                          long usedBytes, long claimedBytes, String deviceIp) {

    public GpuCapacity {
        vendor = vendor == null ? "" : vendor;
        type = type == null ? "" : type;
        productName = productName == null ? "" : productName;
        deviceIp = deviceIp == null || deviceIp.isBlank() ? null : deviceIp;
    }

    /** A device without a device IP. */
    public GpuCapacity(int index, String vendor, String type, String productName, long totalBytes, long usedBytes,
                       long claimedBytes) {
        this(index, vendor, type, productName, totalBytes, usedBytes, claimedBytes, null);
    }

    public long allocatableBytes(PlacementSettings settings) {
        return settings.allocatable(totalBytes, settings.vramReservedBytes(), usedBytes, claimedBytes);
    }

    public GpuCapacity withClaim(long bytes) {
        return new GpuCapacity(index, vendor, type, productName, totalBytes, usedBytes, claimedBytes + bytes, deviceIp);
    }
}
