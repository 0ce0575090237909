package dev.gpufleet.scheduler.instances;

import java.time.Duration;

/**
 * How long an instance in ERROR waits before its n-th restart: {@code min(base * 2^(n-1), 30 * base)}, which with
 * the default base of 10 s is GPUStack's {@code min(10 * 2^(n-1), 300)} seconds (DESIGN §3). The cap scales with
 * the base so that a short test base keeps the curve's shape. After {@link #RESET_AFTER} of RUNNING the next
 * error counts as the first again. Pure.
 */
public final class RestartBackoff {
    public static final Duration RESET_AFTER = Duration.ofMinutes(10);
    private static final int CAP_FACTOR = 30;

    private RestartBackoff() {
    }

    /** @param restart which restart this is, counting from 1 (lower counts as 1) */
    public static Duration delay(int restart, Duration base) {
        int doublings = Math.max(0, restart - 1);
        // 2^5 = 32 is past the cap already; stopping there also keeps the shift from overflowing
        long factor = doublings >= 5 ? CAP_FACTOR : Math.min(1L << doublings, CAP_FACTOR);
        return base.multipliedBy(factor);
    }
}
