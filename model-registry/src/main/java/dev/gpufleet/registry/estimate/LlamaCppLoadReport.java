package dev.gpufleet.registry.estimate;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The buffer sizes llama.cpp prints while it loads a model ({@code CPU_Mapped model buffer size = 27.09 MiB},
 * {@code CPU KV buffer size = ...}, {@code CPU compute buffer size = ...}, {@code CPU  output buffer size = ...}),
 * summed over devices, in bytes (llama.cpp rounds to 0.01 MiB). Used to check the estimator against the real thing.
 *
 * @param problem null when the log had model, KV and compute sizes; else what was missing
 */
public record LlamaCppLoadReport(long modelBytes, long kvBytes, long computeBytes, long outputBytes,
        String problem) {

    private static final Pattern BUFFER = Pattern.compile(
            "(\\S+) +(model|KV|compute|output) buffer size = +([0-9]+(?:\\.[0-9]+)?) MiB");
    private static final double MIB = 1024.0 * 1024.0;

    public long totalBytes() {
        return modelBytes + kvBytes + computeBytes + outputBytes;
    }

    /** Reads a load log; lines that are not buffer reports are skipped. Never throws on odd input. */
    public static LlamaCppLoadReport parse(Iterable<String> lines) {
        long model = 0;
        long kv = 0;
        long compute = 0;
        long output = 0;
        for (String line : lines) {
            if (line == null) {
                continue;
            }
            Matcher m = BUFFER.matcher(line);
            if (!m.find()) {
                continue;
            }
            long bytes = Math.round(Double.parseDouble(m.group(3)) * MIB);
            switch (m.group(2)) {
                case "model" -> model += bytes;
                case "KV" -> kv += bytes;
                case "compute" -> compute += bytes;
                default -> output += bytes;
            }
        }
        List<String> missing = new ArrayList<>();
        if (model == 0) {
            missing.add("model");
        }
        if (kv == 0) {
            missing.add("KV");
        }
        if (compute == 0) {
            missing.add("compute");
        }
        String problem = missing.isEmpty() ? null
                : "no " + String.join(", ", missing) + " buffer size in llama.cpp's load log";
        return new LlamaCppLoadReport(model, kv, compute, output, problem);
    }
}
