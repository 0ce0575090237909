package dev.gpufleet.worker.report;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses {@code gpufleet.worker.labels}: {@code key=value} pairs separated by commas, e.g. {@code zone=a,tier=gpu}. */
public final class Labels {
    private Labels() {
    }

    /** @throws IllegalArgumentException naming the pair that is wrong */
    public static Map<String, String> parse(String setting) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (setting == null || setting.isBlank()) {
            return labels;
        }
        for (String raw : setting.split(",")) {
            String pair = raw.trim();
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0 || pair.substring(0, eq).isBlank()) {
                throw new IllegalArgumentException("gpufleet.worker.labels: '" + pair
                        + "' is not key=value (e.g. zone=a,tier=gpu)");
            }
            labels.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        return labels;
    }
}
