package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.GpuDevice;

import java.util.List;

/** A worker's GPUs as stored: a JSON object, because Hibernate Reactive maps only objects to JSON columns. */
public record GpuInventory(List<GpuDevice> devices) {
    public GpuInventory {
        devices = devices == null ? List.of() : List.copyOf(devices);
    }
}
