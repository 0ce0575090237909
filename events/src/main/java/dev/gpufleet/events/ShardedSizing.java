package dev.gpufleet.events;

/**
 * vLLM and MindIE: a total spread evenly over the devices of a tensor-parallel group. Each device must have
 * {@code max(ceil(deviceBytes / usableFraction), floorBytes) / devices} of total memory (vLLM preallocates
 * {@code --gpu-memory-utilization} of every GPU; MindIE may use {@code --npu-memory-fraction} of every NPU).
 *
 * @param deviceBytes     weights + KV cache (+ MindIE's footprint and computation) over all devices
 * @param usableFraction  the share of each device the engine may use, in (0, 1]
 * @param floorBytes      a lower bound on the total (vLLM: 1.2 × weights + 2 GiB, GPUStack's rule); 0 for none
 * @param ramBytes        host RAM the instance holds
 * @param attentionHeads  the model's attention heads: a tensor-parallel size must divide them (0 = unknown)
 * @param powerOfTwoDevices whether the device count must be a power of two (MindIE)
 */
public record ShardedSizing(long deviceBytes, double usableFraction, long floorBytes, long ramBytes,
                            int attentionHeads, boolean powerOfTwoDevices) {

    /** VRAM each of {@code devices} devices must have in total. */
    public long perDeviceBytes(int devices) {
        int n = Math.max(1, devices);
        double fraction = usableFraction > 0 && usableFraction <= 1 ? usableFraction : 1;
        long total = Math.max((long) Math.ceil(deviceBytes / fraction), floorBytes);
        return (total + n - 1) / n;
    }

    /** Whether a group of {@code devices} devices is a shape this engine can run. */
    public boolean allowsDeviceCount(int devices) {
        if (devices < 1) {
            return false;
        }
        if (powerOfTwoDevices && Integer.bitCount(devices) != 1) {
            return false;
        }
        return attentionHeads <= 0 || attentionHeads % devices == 0;
    }
}
