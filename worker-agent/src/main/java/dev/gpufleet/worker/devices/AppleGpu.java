package dev.gpufleet.worker.devices;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.List;

/**
 * Apple silicon: {@code system_profiler SPDisplaysDataType -json} names the GPU, {@code sysctl -n hw.memsize} gives
 * the unified memory it shares with the CPU. Used memory is the host's used RAM (unified); macOS has no
 * unprivileged tool for GPU utilisation, so it is reported as 0. Discrete GPUs in Intel Macs are left out: they are
 * not Apple silicon.
 */
public final class AppleGpu {
    public static final String TOOL = "system_profiler";
    public static final List<String> DISPLAYS = List.of(TOOL, "SPDisplaysDataType", "-json");
    public static final List<String> MEMSIZE = List.of("sysctl", "-n", "hw.memsize");
    private static final ObjectMapper JSON = new ObjectMapper();

    private AppleGpu() {
    }

    public static List<GpuDevice> parse(String displaysJson, String memsize, long hostMemoryUsedBytes)
            throws UnreadableOutput {
        JsonNode root;
        try {
            root = JSON.readTree(displaysJson);
        } catch (JsonProcessingException e) {
            throw new UnreadableOutput(TOOL + " printed JSON that cannot be read: " + e.getOriginalMessage());
        }
        JsonNode displays = root == null ? null : root.get("SPDisplaysDataType");
        if (displays == null || !displays.isArray()) {
            throw new UnreadableOutput(TOOL + " printed no SPDisplaysDataType list");
        }
        List<GpuDevice> devices = new ArrayList<>();
        for (JsonNode display : displays) {
            String vendor = display.path("spdisplays_vendor").asText("");
            String model = display.path("sppci_model").asText(display.path("_name").asText(""));
            if (!vendor.contains("Apple") && !model.startsWith("Apple")) {
                continue;
            }
            long total;
            try {
                total = Long.parseLong(memsize.strip());
            } catch (NumberFormatException e) {
                throw new UnreadableOutput("sysctl -n hw.memsize printed '" + memsize.strip()
                        + "', not a number of bytes");
            }
            if (total <= 0) {
                throw new UnreadableOutput("sysctl -n hw.memsize printed " + total + ", not a size");
            }
            devices.add(new GpuDevice(devices.size(), "apple", "mps", model, "apple-gpu-" + devices.size(), total,
                    Math.min(total, Math.max(0, hostMemoryUsedBytes)), 0.0));
        }
        return devices;
    }
}
