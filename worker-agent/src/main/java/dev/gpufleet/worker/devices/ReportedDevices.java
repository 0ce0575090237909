package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The devices the latest heartbeat detected. The heartbeat writes them at every beat; the supervisor reads them at
 * every start, so neither depends on the other.
 */
@ApplicationScoped
public class ReportedDevices {
    private final AtomicReference<List<GpuDevice>> latest = new AtomicReference<>();

    public void report(List<GpuDevice> gpus) {
        latest.set(List.copyOf(gpus));
    }

    /** @return empty before the first beat */
    public Optional<List<GpuDevice>> latest() {
        return Optional.ofNullable(latest.get());
    }
}
