package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the table {@code npu-smi info} prints. Its chip rows already carry each chip's memory: {@code HBM-Usage(MB)}
 * on 910-series cards (used / total), {@code Memory-Usage(MB)} on 310-series cards without HBM, so one call per beat
 * is enough; {@code npu-smi info -t usages -i N} says the same per NPU, as a rate. A card with several chips (310P
 * Duo) becomes one device per chip, ordered as printed, which is the chips' logical order
 * ({@code ASCEND_RT_VISIBLE_DEVICES} counts in it).
 */
public final class NpuSmi {
    public static final String TOOL = "npu-smi";
    public static final List<String> INFO = List.of(TOOL, "info");
    private static final long MIB = 1L << 20;
    private static final Pattern NPU_ROW = Pattern.compile("(\\d+)\\s+(\\S.*)");
    private static final Pattern CHIP_ROW = Pattern.compile("(\\d+)(?:\\s+\\d+)?");
    private static final Pattern USAGE = Pattern.compile("(\\d+)\\s*/\\s*(\\d+)");
    private static final Pattern AICORE = Pattern.compile("(\\d+(?:\\.\\d+)?|NA)\\b.*");

    private NpuSmi() {
    }

    public static List<GpuDevice> parse(String output) throws UnreadableOutput {
        if (output.isBlank()) {
            throw new UnreadableOutput(TOOL + " info printed nothing");
        }
        String[] lines = output.split("\\R");
        Boolean hbm = null;
        List<GpuDevice> devices = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        String npu = null;
        String name = null;
        int chips = 0;
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (!line.startsWith("|")) {
                continue;
            }
            if (line.contains("Process id") || line.contains("Process name")) {
                break;
            }
            String[] cells = cells(line);
            String where = TOOL + " info line " + (n + 1) + " ('" + line + "')";
            if (cells.length < 3) {
                if (CHIP_ROW.matcher(cells[0]).matches() || NPU_ROW.matcher(cells[0]).matches()) {
                    throw new UnreadableOutput(where + ": expected 3 columns separated by '|', found "
                            + cells.length);
                }
                continue;
            }
            if (cells[0].startsWith("Chip")) {
                hbm = cells[2].contains("HBM-Usage");
                continue;
            }
            Matcher npuRow = NPU_ROW.matcher(cells[0]);
            Matcher chipRow = CHIP_ROW.matcher(cells[0]);
            if (chipRow.matches()) {
                if (npu == null) {
                    throw new UnreadableOutput(where + ": a chip row before any NPU row");
                }
                if (hbm == null) {
                    throw new UnreadableOutput(where + ": no 'Chip … | Bus-Id | AICore(%) Memory-Usage(MB)' header");
                }
                devices.add(chip(devices.size(), npu, chipRow.group(1), name, cells, hbm, where, seen));
                chips++;
            } else if (npuRow.matches()) {
                if (npu != null && chips == 0) {
                    throw new UnreadableOutput(where + ": NPU " + npu + " has no chip row");
                }
                chips = 0;
                npu = npuRow.group(1);
                name = npuRow.group(2).strip();
            }
        }
        if (npu != null && chips == 0) {
            throw new UnreadableOutput(TOOL + " info: NPU " + npu + " has no chip row");
        }
        if (devices.isEmpty()) {
            throw new UnreadableOutput(TOOL + " info printed no NPU rows");
        }
        return devices;
    }

    private static GpuDevice chip(int index, String npu, String chip, String name, String[] cells, boolean hbm,
                                  String where, Set<String> seen) throws UnreadableOutput {
        if (!seen.add(npu + "/" + chip)) {
            throw new UnreadableOutput(where + ": NPU " + npu + " chip " + chip + " appears twice");
        }
        String usage = cells[2];
        List<long[]> pairs = new ArrayList<>();
        Matcher m = USAGE.matcher(usage);
        while (m.find()) {
            pairs.add(new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
        }
        Matcher aicore = AICORE.matcher(usage);
        if (!aicore.matches()) {
            throw new UnreadableOutput(where + ": AICore(%) '" + usage.split("\\s+")[0] + "' is not a number");
        }
        int needed = hbm ? 2 : 1;
        if (pairs.size() < needed) {
            throw new UnreadableOutput(where + ": expected " + (hbm ? "Memory-Usage(MB) and HBM-Usage(MB)"
                    : "Memory-Usage(MB)") + " as 'used / total', found '" + usage + "'");
        }
        long[] memory = pairs.get(needed - 1);
        if (memory[1] <= 0) {
            throw new UnreadableOutput(where + ": " + (hbm ? "HBM" : "memory") + " total is 0 MB");
        }
        if (memory[0] > memory[1]) {
            throw new UnreadableOutput(where + ": " + (hbm ? "HBM" : "memory") + " used " + memory[0]
                    + " MB is more than the total " + memory[1] + " MB");
        }
        double utilization = aicore.group(1).equals("NA") ? 0.0 : Double.parseDouble(aicore.group(1));
        String product = name.startsWith("Ascend") ? name : "Ascend " + name;
        String bus = cells[1].isBlank() || cells[1].equals("NA") ? "npu" + npu : cells[1];
        return new GpuDevice(index, "ascend", "npu", product, bus + "-chip" + chip, memory[1] * MIB,
                memory[0] * MIB, utilization);
    }

    private static String[] cells(String line) {
        String inner = line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length());
        String[] cells = inner.split("\\|", -1);
        for (int i = 0; i < cells.length; i++) {
            cells[i] = cells[i].strip();
        }
        return cells;
    }
}
