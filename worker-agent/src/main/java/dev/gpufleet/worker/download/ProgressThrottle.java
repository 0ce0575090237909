package dev.gpufleet.worker.download;

import java.time.Duration;

/**
 * Decides when an instance's download progress is worth an event: the first reading, then at most once per
 * interval and only when it moved by at least 1 %. Pure apart from its own memory; time comes in as nanos.
 */
final class ProgressThrottle {
    static final double STEP = 0.01;

    private final long intervalNanos;
    private double last = -1;
    private long lastNanos;

    ProgressThrottle(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** @return the fraction to report, or -1 for nothing */
    double next(long done, long total, long nowNanos) {
        double fraction = total <= 0 ? 0 : Math.min(1.0, Math.max(0.0, (double) done / total));
        if (last < 0 || (nowNanos - lastNanos >= intervalNanos && fraction - last >= STEP)) {
            last = fraction;
            lastNanos = nowNanos;
            return fraction;
        }
        return -1;
    }
}
