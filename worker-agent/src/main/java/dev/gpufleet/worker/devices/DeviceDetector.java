package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.devices.CommandRunner.ToolFailure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Finds this host's accelerators by the vendor tools on the search path. A missing tool means no devices of that
 * vendor. A tool that is there but fails, hangs or prints what cannot be read is a problem that names the tool:
 * the inventory then holds no devices at all, since reporting the rest under shifted indexes would be worse.
 */
public final class DeviceDetector {
    private final CommandRunner runner;
    private final Duration timeout;
    private final LongSupplier hostMemoryUsedBytes;

    /** @param hostMemoryUsedBytes the host's used RAM, which is what an Apple GPU's unified memory has in use */
    public DeviceDetector(CommandRunner runner, Duration timeout, LongSupplier hostMemoryUsedBytes) {
        this.runner = runner;
        this.timeout = timeout;
        this.hostMemoryUsedBytes = hostMemoryUsedBytes;
    }

    public DeviceInventory detect() {
        List<GpuDevice> found = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        probe(NvidiaSmi.TOOL, this::nvidia, found, problems);
        probe(NpuSmi.TOOL, () -> NpuSmi.parse(runner.run(NpuSmi.INFO, timeout)), found, problems);
        probe(RocmSmi.TOOL, () -> RocmSmi.parse(runner.run(RocmSmi.QUERY, timeout)), found, problems);
        probe(AppleGpu.TOOL, () -> AppleGpu.parse(runner.run(AppleGpu.DISPLAYS, timeout),
                runner.run(AppleGpu.MEMSIZE, timeout), hostMemoryUsedBytes.getAsLong()), found, problems);
        if (!problems.isEmpty()) {
            return DeviceInventory.failed(String.join("; ", problems));
        }
        return DeviceInventory.of(reindexed(found));
    }

    private List<GpuDevice> nvidia() throws ToolFailure, UnreadableOutput {
        List<NvidiaSmi.Gpu> gpus = NvidiaSmi.parseQuery(runner.run(NvidiaSmi.QUERY, timeout));
        List<NvidiaSmi.MigDevice> migs = List.of();
        if (gpus.stream().anyMatch(NvidiaSmi.Gpu::migEnabled)) {
            migs = NvidiaSmi.parseMigDevices(runner.run(NvidiaSmi.XML, timeout), runner.run(NvidiaSmi.LIST, timeout));
        }
        return NvidiaSmi.devices(gpus, migs);
    }

    private interface Probe {
        List<GpuDevice> devices() throws ToolFailure, UnreadableOutput;
    }

    private void probe(String tool, Probe probe, List<GpuDevice> found, List<String> problems) {
        if (runner.find(tool).isEmpty()) {
            return;
        }
        try {
            found.addAll(probe.devices());
        } catch (ToolFailure | UnreadableOutput e) {
            problems.add("device detection: " + e.getMessage());
        } catch (RuntimeException e) {
            // a parser bug must not stop the heartbeat either
            problems.add("device detection: " + tool + " output could not be handled: " + e);
        }
    }

    /** Indexes are positions in the whole report; within one vendor they keep the vendor's order. */
    static List<GpuDevice> reindexed(List<GpuDevice> devices) {
        List<GpuDevice> result = new ArrayList<>(devices.size());
        for (GpuDevice d : devices) {
            result.add(new GpuDevice(result.size(), d.vendor(), d.type(), d.name(), d.uuid(), d.memoryTotalBytes(),
                    d.memoryUsedBytes(), d.utilizationPercent()));
        }
        return result;
    }
}
