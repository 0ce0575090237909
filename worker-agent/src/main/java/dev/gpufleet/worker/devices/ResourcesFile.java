package dev.gpufleet.worker.devices;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The static resources file ({@code gpufleet.worker.resources-file}) for devices the agent cannot detect:
 * <pre>{"gpus": [{"vendor": "nvidia", "name": "NVIDIA L40S", "memory_total": "48GiB",
 *            "memory_used": "1GiB", "uuid": "GPU-…", "type": "cuda"}]}</pre>
 * {@code vendor}, {@code name} and {@code memory_total} are required; sizes are {@link ByteSize} text or whole
 * bytes; {@code type} defaults to the vendor's runtime. Unknown fields are errors, so a typo is not ignored.
 */
public final class ResourcesFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = new TreeSet<>(Set.of("vendor", "name", "memory_total", "memory_used",
            "uuid", "type"));

    private ResourcesFile() {
    }

    /** @param source how to name the file in messages, e.g. its path */
    public static List<GpuDevice> parse(String json, String source) throws UnreadableOutput {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UnreadableOutput(source + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new UnreadableOutput(source + " must hold a JSON object like {\"gpus\": [...]}");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("gpus")) {
                throw new UnreadableOutput(source + ": field '" + name + "' is not known (allowed: gpus)");
            }
        }
        JsonNode gpus = root.get("gpus");
        if (gpus == null || !gpus.isArray()) {
            throw new UnreadableOutput(source + ": gpus must be a list");
        }
        List<GpuDevice> devices = new ArrayList<>();
        for (int i = 0; i < gpus.size(); i++) {
            devices.add(gpu(gpus.get(i), i, source + ": gpus[" + i + "]"));
        }
        return devices;
    }

    private static GpuDevice gpu(JsonNode gpu, int index, String where) throws UnreadableOutput {
        if (!gpu.isObject()) {
            throw new UnreadableOutput(where + " must be an object");
        }
        for (Iterator<String> names = gpu.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new UnreadableOutput(where + "." + name + " is not known (allowed: " + FIELDS + ")");
            }
        }
        String vendor = text(gpu, "vendor", where, true).toLowerCase(Locale.ROOT);
        String vendorType = SimulatedDevices.TYPE_BY_VENDOR.get(vendor);
        if (vendorType == null) {
            throw new UnreadableOutput(where + ".vendor '" + vendor + "' is not one of "
                    + SimulatedDevices.TYPE_BY_VENDOR.keySet());
        }
        String name = text(gpu, "name", where, true);
        long total = size(gpu, "memory_total", where, true);
        if (total <= 0) {
            throw new UnreadableOutput(where + ".memory_total must be more than 0");
        }
        long used = size(gpu, "memory_used", where, false);
        if (used > total) {
            throw new UnreadableOutput(where + ".memory_used (" + used + " B) is more than memory_total (" + total
                    + " B)");
        }
        String uuid = text(gpu, "uuid", where, false);
        String type = text(gpu, "type", where, false);
        return new GpuDevice(index, vendor, type.isEmpty() ? vendorType : type, name,
                uuid.isEmpty() ? "STATIC-" + vendor + "-" + index : uuid, total, used, 0.0);
    }

    private static String text(JsonNode gpu, String field, String where, boolean required) throws UnreadableOutput {
        JsonNode node = gpu.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new UnreadableOutput(where + "." + field + " is required");
            }
            return "";
        }
        if (!node.isTextual() || node.asText().isBlank()) {
            throw new UnreadableOutput(where + "." + field + " must be a non-empty string");
        }
        return node.asText().strip();
    }

    private static long size(JsonNode gpu, String field, String where, boolean required) throws UnreadableOutput {
        JsonNode node = gpu.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new UnreadableOutput(where + "." + field + " is required (a size like \"24GiB\" or bytes)");
            }
            return 0;
        }
        if (node.canConvertToLong() && node.isIntegralNumber()) {
            if (node.asLong() < 0) {
                throw new UnreadableOutput(where + "." + field + " must not be negative");
            }
            return node.asLong();
        }
        if (!node.isTextual()) {
            throw new UnreadableOutput(where + "." + field + " must be a size like \"24GiB\" or whole bytes");
        }
        try {
            return ByteSize.parse(node.asText());
        } catch (IllegalArgumentException e) {
            throw new UnreadableOutput(where + "." + field + ": " + e.getMessage());
        }
    }
}
