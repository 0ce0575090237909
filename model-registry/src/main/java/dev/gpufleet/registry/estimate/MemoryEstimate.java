package dev.gpufleet.registry.estimate;

import java.util.List;

/**
 * Memory a model instance needs: RAM, and VRAM on each GPU of the placement (in order), with the breakdown.
 *
 * @param rule how the numbers were made, in one line (e.g. which backend rule applied)
 */
public record MemoryEstimate(DeviceMemory ram, List<DeviceMemory> gpus, String rule) {

    public MemoryEstimate {
        gpus = List.copyOf(gpus);
    }

    public long ramBytes() {
        return ram.total();
    }

    /** VRAM per GPU, in placement order. */
    public List<Long> vramBytes() {
        return gpus.stream().map(DeviceMemory::total).toList();
    }

    public long totalVramBytes() {
        return gpus.stream().mapToLong(DeviceMemory::total).sum();
    }
}
