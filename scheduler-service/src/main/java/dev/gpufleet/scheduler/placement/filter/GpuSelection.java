package dev.gpufleet.scheduler.placement.filter;

import java.util.List;
import java.util.Locale;

/** One entry of a model's {@code gpu_selector}: {@code <worker-name>:<type>:<index>}. */
public record GpuSelection(String workerName, String type, int index) {
    public static final List<String> TYPES = List.of("cuda", "npu", "rocm", "mps");

    /** Parses one entry; the worker name may itself hold colons (the last two parts are type and index). */
    public static GpuSelection parse(String entry) {
        String bad = "gpu_selector entry '" + entry + "' is not <worker-name>:<type>:<index> with type one of "
                + String.join(", ", TYPES) + " and index ≥ 0";
        if (entry == null) {
            throw new IllegalArgumentException(bad);
        }
        int last = entry.lastIndexOf(':');
        int middle = last <= 0 ? -1 : entry.lastIndexOf(':', last - 1);
        if (middle <= 0) {
            throw new IllegalArgumentException(bad);
        }
        String type = entry.substring(middle + 1, last).toLowerCase(Locale.ROOT);
        String index = entry.substring(last + 1);
        if (!TYPES.contains(type) || index.isEmpty() || index.length() > 4 || !index.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException(bad);
        }
        return new GpuSelection(entry.substring(0, middle), type, Integer.parseInt(index));
    }

    @Override
    public String toString() {
        return workerName + ":" + type + ":" + index;
    }
}
