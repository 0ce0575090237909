package dev.gpufleet.scheduler.leadership;

/**
 * The leader's lease on its own monotonic clock (nanoseconds, {@link System#nanoTime()}): valid until
 * {@code lease} after the start of the last round trip in which PostgreSQL confirmed this scheduler's epoch.
 * Measuring from the start, not the answer, keeps it on the safe side of the database's {@code renewed_at}. Not
 * thread-safe: {@link Leadership} guards it.
 */
final class Lease {
    private final long leaseNanos;
    private long epoch = -1;
    private long confirmedAt;

    Lease(long leaseNanos) {
        this.leaseNanos = leaseNanos;
    }

    /** This scheduler took over: {@code epoch} is its own from the round trip that started at {@code sentAt}. */
    void granted(long epoch, long sentAt) {
        this.epoch = epoch;
        this.confirmedAt = sentAt;
    }

    /** A renewal of {@code epoch} sent at {@code sentAt} was confirmed; an older round trip never shortens it. */
    void renewed(long epoch, long sentAt) {
        if (epoch == this.epoch && sentAt - confirmedAt > 0) {
            confirmedAt = sentAt;
        }
    }

    void ended() {
        epoch = -1;
    }

    /** The epoch held at {@code now}, or -1 when none is (never granted, ended, or run out). */
    long epochAt(long now) {
        return epoch >= 0 && now - confirmedAt < leaseNanos ? epoch : -1;
    }

    /** Nanoseconds until it runs out, from {@code now}; 0 when it has. */
    long remainingAt(long now) {
        return epoch < 0 ? 0 : Math.max(0, leaseNanos - (now - confirmedAt));
    }
}
