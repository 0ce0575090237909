package dev.gpufleet.worker.devices;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code rocm-smi … --json}: one object per {@code cardN} with string values. Older releases print warnings
 * before the JSON and spell some keys in lower case ({@code Card series}); both are accepted.
 */
public final class RocmSmi {
    public static final String TOOL = "rocm-smi";
    public static final List<String> QUERY = List.of(TOOL, "--showmeminfo", "vram", "--showuse",
            "--showproductname", "--showuniqueid", "--json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CARD = Pattern.compile("card(\\d+)");
    static final String TOTAL = "VRAM Total Memory (B)";
    static final String USED = "VRAM Total Used Memory (B)";
    static final String USE = "GPU use (%)";

    private RocmSmi() {
    }

    public static List<GpuDevice> parse(String output) throws UnreadableOutput {
        int start = output.indexOf('{');
        if (start < 0) {
            throw new UnreadableOutput(TOOL + " printed no JSON" + (output.isBlank() ? " (empty output)"
                    : ": '" + ProcessCommandRunner.firstLines(output) + "'"));
        }
        JsonNode root;
        try {
            root = JSON.readTree(output.substring(start));
        } catch (JsonProcessingException e) {
            throw new UnreadableOutput(TOOL + " printed JSON that cannot be read: " + e.getOriginalMessage());
        }
        List<GpuDevice> devices = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            Matcher card = CARD.matcher(field.getKey());
            if (!card.matches()) {
                continue;
            }
            int index = Integer.parseInt(card.group(1));
            JsonNode values = field.getValue();
            String where = TOOL + " " + field.getKey();
            long total = number(values, TOTAL, where);
            long used = number(values, USED, where);
            if (total <= 0) {
                throw new UnreadableOutput(where + ": '" + TOTAL + "' must be more than 0");
            }
            if (used > total) {
                throw new UnreadableOutput(where + ": '" + USED + "' " + used + " is more than '" + TOTAL + "' "
                        + total);
            }
            double use = values.hasNonNull(USE) ? number(values, USE, where) : 0.0;
            String name = firstKnown(values, "Card Series", "Card series", "Card SKU", "Card Model", "Card model");
            String uuid = firstKnown(values, "Unique ID");
            devices.add(new GpuDevice(index, "amd", "rocm", name == null ? "AMD GPU " + index : name,
                    uuid == null ? "rocm-card" + index : uuid, total, used, use));
        }
        if (devices.isEmpty()) {
            throw new UnreadableOutput(TOOL + " printed no cardN entries");
        }
        devices.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return devices;
    }

    private static long number(JsonNode values, String key, String where) throws UnreadableOutput {
        JsonNode node = values.get(key);
        if (node == null || node.isNull()) {
            throw new UnreadableOutput(where + ": '" + key + "' is missing");
        }
        try {
            long value = Long.parseLong(node.asText().strip());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new UnreadableOutput(where + ": '" + key + "' is '" + node.asText() + "', not a whole number");
        }
    }

    private static String firstKnown(JsonNode values, String... keys) {
        for (String key : keys) {
            JsonNode node = values.get(key);
            if (node != null && !node.asText().isBlank() && !node.asText().equalsIgnoreCase("N/A")) {
                return node.asText().strip();
            }
        }
        return null;
    }
}
