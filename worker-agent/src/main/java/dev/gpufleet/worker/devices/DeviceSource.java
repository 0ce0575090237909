package dev.gpufleet.worker.devices;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where the inventory comes from, asked again on every heartbeat: simulated devices when that setting is given
 * (tests), else the static resources file when given, else the vendor tools. Re-reading the file and re-running
 * the tools each beat is what lets a fixed problem turn the worker READY again without a restart.
 */
public final class DeviceSource {
    private final Supplier<DeviceInventory> sample;
    private final String description;

    private DeviceSource(Supplier<DeviceInventory> sample, String description) {
        this.sample = sample;
        this.description = description;
    }

    public static DeviceSource choose(Optional<String> simulatedDevices, Optional<String> resourcesFile,
                                      DeviceDetector detector) {
        if (simulatedDevices.filter(s -> !s.isBlank()).isPresent()) {
            DeviceInventory fixed = SimulatedDevices.parse(simulatedDevices.get());
            return new DeviceSource(() -> fixed, "simulated devices (gpufleet.worker.simulated-devices)");
        }
        if (resourcesFile.filter(s -> !s.isBlank()).isPresent()) {
            Path file = Path.of(resourcesFile.get().strip());
            return new DeviceSource(() -> readResourcesFile(file),
                    "the resources file " + file + " (gpufleet.worker.resources-file)");
        }
        return new DeviceSource(detector::detect, "nvidia-smi, npu-smi, rocm-smi and system_profiler on the path");
    }

    public static DeviceInventory readResourcesFile(Path file) {
        String source = "gpufleet.worker.resources-file " + file;
        try {
            return DeviceInventory.of(ResourcesFile.parse(Files.readString(file, StandardCharsets.UTF_8), source));
        } catch (IOException e) {
            return DeviceInventory.failed(source + " cannot be read: " + e);
        } catch (UnreadableOutput e) {
            return DeviceInventory.failed(e.getMessage());
        }
    }

    public DeviceInventory sample() {
        return sample.get();
    }

    /** For the start-up log line. */
    public String description() {
        return description;
    }
}
