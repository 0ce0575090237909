package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses {@code gpufleet.worker.simulated-devices}: entries separated by {@code ;}, each
 * {@code vendor:name:memory[:used=SIZE][:uuid=ID]}, e.g.
 * {@code nvidia:NVIDIA H100 80GB HBM3:80GiB:used=2GiB;ascend:Ascend 910B:64GiB}. The index is the entry's position
 * (empty entries are skipped and take none); the type follows from the vendor.
 */
public final class SimulatedDevices {
    /** vendor → the runtime name used in GPU selectors (DESIGN, {@link GpuDevice#type()}). */
    public static final Map<String, String> TYPE_BY_VENDOR = new TreeMap<>(Map.of(
            "nvidia", "cuda", "ascend", "npu", "amd", "rocm", "apple", "mps"));
    private static final String FORMAT = "expected vendor:name:memory[:used=SIZE][:uuid=ID], "
            + "e.g. nvidia:NVIDIA H100 80GB HBM3:80GiB:used=2GiB";

    private SimulatedDevices() {
    }

    public static DeviceInventory parse(String setting) {
        List<GpuDevice> gpus = new ArrayList<>();
        if (setting == null || setting.isBlank()) {
            return DeviceInventory.of(gpus);
        }
        int entryNumber = 0;
        for (String raw : setting.split(";")) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            entryNumber++;
            try {
                gpus.add(device(gpus.size(), entry));
            } catch (IllegalArgumentException e) {
                return DeviceInventory.failed("gpufleet.worker.simulated-devices entry " + entryNumber + " ('"
                        + entry + "'): " + e.getMessage());
            }
        }
        return DeviceInventory.of(gpus);
    }

    private static GpuDevice device(int index, String entry) {
        String[] parts = entry.split(":");
        if (parts.length < 3) {
            throw new IllegalArgumentException(FORMAT);
        }
        String vendor = parts[0].trim().toLowerCase(Locale.ROOT);
        String type = TYPE_BY_VENDOR.get(vendor);
        if (type == null) {
            throw new IllegalArgumentException("vendor '" + parts[0].trim() + "' is not one of "
                    + TYPE_BY_VENDOR.keySet());
        }
        String name = parts[1].trim();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name is empty; " + FORMAT);
        }
        long total = ByteSize.parse(parts[2]);
        if (total <= 0) {
            throw new IllegalArgumentException("memory must be more than 0");
        }
        long used = 0;
        String uuid = "SIM-" + vendor + "-" + index;
        for (int i = 3; i < parts.length; i++) {
            String option = parts[i].trim();
            int eq = option.indexOf('=');
            String key = eq < 0 ? option : option.substring(0, eq).trim();
            String value = eq < 0 ? "" : option.substring(eq + 1).trim();
            if (key.equals("used") && eq > 0) {
                used = ByteSize.parse(value);
            } else if (key.equals("uuid") && eq > 0 && !value.isEmpty()) {
                uuid = value;
            } else {
                throw new IllegalArgumentException("option '" + option + "' is not used=SIZE or uuid=ID");
            }
        }
        if (used > total) {
            throw new IllegalArgumentException("used memory (" + used + " B) is more than the total (" + total
                    + " B)");
        }
        return new GpuDevice(index, vendor, type, name, uuid, total, used, 0.0);
    }
}
