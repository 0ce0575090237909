package dev.gpufleet.worker.host;

import java.util.HashMap;
import java.util.Map;

/** Parses Linux {@code /proc/meminfo}: {@code MemTotal} and {@code MemAvailable} (kernel 3.14+), both in kB. */
public final class MemInfoParser {
    private MemInfoParser() {
    }

    public static MemInfo parse(String text) throws UnreadableHostDataException {
        if (text == null || text.isBlank()) {
            throw new UnreadableHostDataException("/proc/meminfo is empty");
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        long total = kilobytes(fields, "MemTotal");
        long available = kilobytes(fields, "MemAvailable");
        if (total <= 0) {
            throw new UnreadableHostDataException("/proc/meminfo: MemTotal is " + total + " kB");
        }
        if (available > total) {
            throw new UnreadableHostDataException("/proc/meminfo: MemAvailable (" + available
                    + " B) is larger than MemTotal (" + total + " B)");
        }
        return new MemInfo(total, available);
    }

    private static long kilobytes(Map<String, String> fields, String name) throws UnreadableHostDataException {
        String value = fields.get(name);
        if (value == null) {
            throw new UnreadableHostDataException("/proc/meminfo has no " + name + " line");
        }
        String[] parts = value.split("\\s+");
        if (parts.length != 2 || !parts[1].equals("kB")) {
            throw new UnreadableHostDataException("/proc/meminfo: " + name + " is '" + value
                    + "', expected '<number> kB'");
        }
        try {
            long kb = Long.parseLong(parts[0]);
            if (kb < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(kb, 1024L);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new UnreadableHostDataException("/proc/meminfo: " + name + " is '" + value
                    + "', expected '<number> kB'");
        }
    }
}
