package dev.gpufleet.worker.backend;

import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a backend's environment gets on top of the agent's own: the user's {@code env}, then the visible-device
 * variables, which the agent controls so a backend sees exactly the GPUs placed for it (none on a CPU-only
 * instance: an empty value hides every device). A user value for one of those is overridden and the override is
 * reported by name; values are never reported, they may be secrets.
 *
 * @param variables the variables to set, user's and agent's, in a stable order
 * @param warnings  one line per user variable the agent overrode
 * @param problem   why the instance cannot start (a GPU index this worker does not have); variables empty then
 */
public record BackendEnvironment(Map<String, String> variables, List<String> warnings, String problem) {
    /** vendor → the variable its runtime reads; Apple's Metal has none. */
    public static final Map<String, String> VISIBLE_DEVICES_BY_VENDOR = Map.of(
            "nvidia", "CUDA_VISIBLE_DEVICES", "ascend", "ASCEND_RT_VISIBLE_DEVICES", "amd", "HIP_VISIBLE_DEVICES");

    public BackendEnvironment {
        variables = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(variables));
        warnings = List.copyOf(warnings);
    }

    /**
     * @param devices    this worker's devices; an index is its position among all of them
     * @param gpuIndexes the instance's GPUs; empty for a CPU-only instance
     */
    public static BackendEnvironment of(Map<String, String> userEnv, List<GpuDevice> devices,
                                        List<Integer> gpuIndexes) {
        Map<String, String> controlled = new TreeMap<>();
        VISIBLE_DEVICES_BY_VENDOR.values().forEach(variable -> controlled.put(variable, ""));
        Map<String, List<Integer>> visibleByVariable = new TreeMap<>();
        for (int index : gpuIndexes) {
            Optional<GpuDevice> device = devices.stream().filter(d -> d.index() == index).findFirst();
            if (device.isEmpty()) {
                return new BackendEnvironment(Map.of(), List.of(), "GPU " + index + " is not on this worker (it has "
                        + (devices.isEmpty() ? "no GPUs" : "GPUs " + devices.stream().map(d -> "" + d.index())
                        .collect(Collectors.joining(", "))) + ")");
            }
            String variable = VISIBLE_DEVICES_BY_VENDOR.get(device.get().vendor());
            if (variable != null) {
                visibleByVariable.computeIfAbsent(variable, v -> new ArrayList<>())
                        .add(vendorOrdinal(devices, device.get()));
            }
        }
        visibleByVariable.forEach((variable, ordinals) -> controlled.put(variable,
                ordinals.stream().sorted().map(String::valueOf).collect(Collectors.joining(","))));

        Map<String, String> variables = new LinkedHashMap<>(new TreeMap<>(userEnv == null ? Map.of() : userEnv));
        List<String> warnings = new ArrayList<>();
        controlled.forEach((variable, value) -> {
            if (variables.containsKey(variable)) {
                warnings.add("env " + variable + " was overridden: the agent sets it from the instance's GPUs");
            }
            variables.put(variable, value);
        });
        return new BackendEnvironment(variables, warnings, null);
    }

    /** Names only: the values may be secrets. */
    @Override
    public String toString() {
        return "BackendEnvironment[variables=" + variables.keySet() + ", warnings=" + warnings + ", problem="
                + problem + "]";
    }

    /**
     * The runtime numbers devices of its own vendor from 0, while worker indexes count all devices: on a host
     * with two NVIDIA GPUs and an Ascend NPU, the NPU is worker index 2 but ASCEND_RT_VISIBLE_DEVICES=0.
     */
    static int vendorOrdinal(List<GpuDevice> devices, GpuDevice device) {
        return (int) devices.stream()
                .filter(d -> d.vendor().equals(device.vendor()) && d.index() < device.index()).count();
    }
}
