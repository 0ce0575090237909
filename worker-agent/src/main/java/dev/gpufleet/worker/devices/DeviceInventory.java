package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;

import java.util.List;
import java.util.Optional;

/**
 * The accelerators this worker reports, or why it cannot say. When {@code problem} is present the list is empty:
 * reporting some devices under shifted indexes would be worse than reporting none.
 */
public record DeviceInventory(List<GpuDevice> gpus, Optional<String> problem) {
    public DeviceInventory {
        gpus = List.copyOf(gpus);
    }

    public static DeviceInventory of(List<GpuDevice> gpus) {
        return new DeviceInventory(gpus, Optional.empty());
    }

    public static DeviceInventory failed(String problem) {
        return new DeviceInventory(List.of(), Optional.of(problem));
    }
}
