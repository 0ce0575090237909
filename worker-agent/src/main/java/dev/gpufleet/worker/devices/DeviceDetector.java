package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.worker.devices.CommandRunner.ToolFailure;

import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Finds this host's accelerators by the vendor tools on the search path. A missing tool means no devices of that
 * vendor. A tool that is there but fails, hangs or prints what cannot be read is a problem that names the tool:
 * the inventory then holds no devices at all, since reporting the rest under shifted indexes would be worse.
 */
public final class DeviceDetector {
    private static final Logger LOG = Logger.getLogger(DeviceDetector.class);
    /** How long a device IP that {@code hccn_tool} gave (or did not give) is used before it is asked again. */
    static final Duration DEVICE_IP_TTL = Duration.ofMinutes(10);

    private final CommandRunner runner;
    private final Duration timeout;
    private final LongSupplier hostMemoryUsedBytes;
    private final LongSupplier nanoTime;
    /** By NPU uuid: device IPs change only when an admin reconfigures the NPU network, so one beat in many asks. */
    private final Map<String, CachedIp> deviceIps = new HashMap<>();

    private record CachedIp(Optional<String> ip, long askedAtNanos) {
    }

    /** @param hostMemoryUsedBytes the host's used RAM, which is what an Apple GPU's unified memory has in use */
    public DeviceDetector(CommandRunner runner, Duration timeout, LongSupplier hostMemoryUsedBytes) {
        this(runner, timeout, hostMemoryUsedBytes, System::nanoTime);
    }

    DeviceDetector(CommandRunner runner, Duration timeout, LongSupplier hostMemoryUsedBytes, LongSupplier nanoTime) {
        this.runner = runner;
        this.timeout = timeout;
        this.hostMemoryUsedBytes = hostMemoryUsedBytes;
        this.nanoTime = nanoTime;
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
        return DeviceInventory.of(withDeviceIps(reindexed(found)));
    }

    /**
     * Ascend NPUs with the device IP {@code hccn_tool} reports. Without the tool, or when it fails for an NPU, the
     * NPU has none: it still serves everything but MindIE across workers, so this never makes the worker NOT_READY.
     */
    private synchronized List<GpuDevice> withDeviceIps(List<GpuDevice> devices) {
        if (devices.stream().noneMatch(DeviceDetector::ascend) || runner.find(HccnTool.TOOL).isEmpty()) {
            return devices;
        }
        long now = nanoTime.getAsLong();
        List<GpuDevice> result = new ArrayList<>(devices.size());
        int deviceId = 0;
        for (GpuDevice device : devices) {
            if (!ascend(device)) {
                result.add(device);
                continue;
            }
            CachedIp cached = deviceIps.get(device.uuid());
            if (cached == null || now - cached.askedAtNanos() >= DEVICE_IP_TTL.toNanos()) {
                cached = new CachedIp(askDeviceIp(deviceId), now);
                deviceIps.put(device.uuid(), cached);
            }
            result.add(device.withDeviceIp(cached.ip().orElse(null)));
            deviceId++;
        }
        return result;
    }

    private Optional<String> askDeviceIp(int deviceId) {
        try {
            return HccnTool.parseIp(deviceId, runner.run(HccnTool.ipQuery(deviceId), timeout));
        } catch (ToolFailure | UnreadableOutput | RuntimeException e) {
            LOG.warnf("NPU %d has no device IP (MindIE cannot use it across workers): %s", deviceId, e.getMessage());
            return Optional.empty();
        }
    }

    private static boolean ascend(GpuDevice device) {
        return "ascend".equals(device.vendor());
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
            result.add(d.withIndex(result.size()));
        }
        return result;
    }
}
