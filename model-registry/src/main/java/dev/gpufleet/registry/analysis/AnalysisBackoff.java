package dev.gpufleet.registry.analysis;

import java.time.Duration;

/** How long a model waits before its analysis is tried again after the n-th transient failure. Pure. */
public final class AnalysisBackoff {
    static final Duration FIRST = Duration.ofSeconds(5);
    static final Duration MAX = Duration.ofMinutes(5);

    private AnalysisBackoff() {
    }

    /** 5 s, 10 s, 20 s … at most 5 minutes. */
    public static Duration afterFailures(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        int doublings = Math.min(failures - 1, 16);
        Duration delay = FIRST.multipliedBy(1L << doublings);
        return delay.compareTo(MAX) > 0 ? MAX : delay;
    }
}
