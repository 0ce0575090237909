package dev.gpufleet.worker.host;

/** Parses the aggregate {@code cpu} line of Linux {@code /proc/stat}. */
public final class ProcStatParser {
    /** user nice system idle: present on every kernel; iowait irq softirq steal came later and count when present. */
    private static final int REQUIRED_FIELDS = 4;
    private static final int COUNTED_FIELDS = 8;
    private static final int IDLE = 3;
    private static final int IOWAIT = 4;

    private ProcStatParser() {
    }

    public static CpuTimes parse(String text) throws UnreadableHostDataException {
        if (text == null || text.isBlank()) {
            throw new UnreadableHostDataException("/proc/stat is empty");
        }
        for (String line : text.split("\n")) {
            String[] parts = line.trim().split("\\s+");
            if (parts[0].equals("cpu")) {
                return times(parts, line);
            }
        }
        throw new UnreadableHostDataException("/proc/stat has no aggregate 'cpu' line");
    }

    private static CpuTimes times(String[] parts, String line) throws UnreadableHostDataException {
        int fields = parts.length - 1;
        if (fields < REQUIRED_FIELDS) {
            throw new UnreadableHostDataException("/proc/stat 'cpu' line has " + fields
                    + " values, expected at least " + REQUIRED_FIELDS + ": '" + line.trim() + "'");
        }
        long total = 0;
        long idle = 0;
        for (int i = 0; i < Math.min(fields, COUNTED_FIELDS); i++) {
            long ticks;
            try {
                ticks = Long.parseLong(parts[i + 1]);
            } catch (NumberFormatException e) {
                throw new UnreadableHostDataException("/proc/stat 'cpu' value " + (i + 1) + " is '" + parts[i + 1]
                        + "', expected a non-negative integer");
            }
            if (ticks < 0) {
                throw new UnreadableHostDataException("/proc/stat 'cpu' value " + (i + 1) + " is negative");
            }
            total += ticks;
            if (i == IDLE || i == IOWAIT) {
                idle += ticks;
            }
        }
        return new CpuTimes(total, idle);
    }
}
