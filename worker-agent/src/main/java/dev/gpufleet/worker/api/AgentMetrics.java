package dev.gpufleet.worker.api;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.worker.instances.Supervision;
import dev.gpufleet.worker.report.Heartbeat;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The worker's gauges on {@code /q/metrics} of the management port (Prometheus text): per device memory and utilisation from the latest
 * heartbeat, and how many instances this agent holds in each state. Values are read when scraped; a device's gauges
 * are registered, on a timer, once its index has been reported (registering from within a scrape is unsafe).
 */
@ApplicationScoped
public class AgentMetrics {
    private final MeterRegistry registry;
    private final Heartbeat heartbeat;
    private final Supervision supervision;
    private final Vertx vertx;
    private final Set<Integer> registeredDevices = new HashSet<>();

    public AgentMetrics(MeterRegistry registry, Heartbeat heartbeat, Supervision supervision, Vertx vertx) {
        this.registry = registry;
        this.vertx = vertx;
        this.heartbeat = heartbeat;
        this.supervision = supervision;
    }

    void register(@Observes StartupEvent ignored) {
        for (InstanceState state : InstanceState.values()) {
            Gauge.builder("gpufleet_worker_instances", supervision, s -> count(s.observed(), state))
                    .description("Instances this agent holds, by state")
                    .tags(Tags.of("state", state.name())).register(registry);
        }
        Gauge.builder("gpufleet_worker_devices", this, m -> m.latest().map(r -> r.gpus().size()).orElse(0))
                .description("Devices in the latest report").register(registry);
        refreshDevices();
        vertx.setPeriodic(1_000, 5_000, id -> refreshDevices());
    }

    static double count(List<ObservedInstance> observed, InstanceState state) {
        return observed.stream().filter(o -> o.state() == state).count();
    }

    /** Registers gauges of devices not seen before. */
    synchronized void refreshDevices() {
        List<GpuDevice> gpus = latest().map(WorkerReported::gpus).orElse(List.of());
        for (GpuDevice gpu : gpus) {
            if (registeredDevices.add(gpu.index())) {
                Tags tags = Tags.of("index", String.valueOf(gpu.index()), "vendor", String.valueOf(gpu.vendor()),
                        "name", String.valueOf(gpu.name()));
                device("gpufleet_worker_device_memory_total_bytes", "Device memory", gpu.index(), tags,
                        GpuDevice::memoryTotalBytes);
                device("gpufleet_worker_device_memory_used_bytes", "Device memory in use", gpu.index(), tags,
                        GpuDevice::memoryUsedBytes);
                device("gpufleet_worker_device_utilization_percent", "Device utilisation", gpu.index(), tags,
                        GpuDevice::utilizationPercent);
            }
        }
    }

    private void device(String name, String description, int index, Tags tags, ToDoubleFunction<GpuDevice> value) {
        Gauge.builder(name, this, m -> m.latest().flatMap(r -> r.gpus().stream().filter(g -> g.index() == index)
                        .findFirst()).map(value::applyAsDouble).orElse(Double.NaN))
                .description(description).tags(tags).register(registry);
    }

    private Optional<WorkerReported> latest() {
        return heartbeat.latest().map(envelope -> envelope.payload());
    }
}
