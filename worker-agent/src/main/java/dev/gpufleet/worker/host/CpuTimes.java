package dev.gpufleet.worker.host;

/**
 * Cumulative CPU time of all cores since boot, in clock ticks, from the {@code cpu} line of {@code /proc/stat}.
 *
 * @param totalTicks user + nice + system + idle + iowait + irq + softirq + steal (guest time is already in user)
 * @param idleTicks  idle + iowait
 */
public record CpuTimes(long totalTicks, long idleTicks) {

    /** Busy share of the time between two samples, 0..100; since boot when there is no earlier sample. */
    public static double utilizationPercent(CpuTimes earlier, CpuTimes later) {
        long total = later.totalTicks - (earlier == null ? 0 : earlier.totalTicks);
        long idle = later.idleTicks - (earlier == null ? 0 : earlier.idleTicks);
        if (total <= 0 || idle < 0 || idle > total) {
            return 0.0;
        }
        double percent = 100.0 * (total - idle) / total;
        return Math.round(percent * 10.0) / 10.0;
    }
}
