package dev.gpufleet.scheduler.leadership;

import java.time.Duration;

/**
 * The three durations of leadership and the order they must keep: the leader renews its lease every
 * {@code pollInterval}; it acts only within {@code lease} of the start of its last confirmed renewal (its own
 * clock); another may take over once the leader's last renewal is {@code takeoverDelay} old (the database's
 * clock). A renewal must fit in the lease, and the lease must end before anyone may take over, so the old leader
 * has stopped acting when the new one starts.
 */
public record LeaderTimings(Duration pollInterval, Duration lease, Duration takeoverDelay) {
    public LeaderTimings {
        if (pollInterval == null || pollInterval.isZero() || pollInterval.isNegative()) {
            throw new IllegalArgumentException("gpufleet.scheduler.leader-poll-interval must be positive, was "
                    + pollInterval);
        }
        if (lease == null || lease.compareTo(pollInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("gpufleet.scheduler.leader-lease must be at least twice"
                    + " gpufleet.scheduler.leader-poll-interval (" + pollInterval + "), so one late renewal does"
                    + " not end it; was " + lease);
        }
        if (takeoverDelay == null || takeoverDelay.compareTo(lease.plus(pollInterval)) < 0) {
            throw new IllegalArgumentException("gpufleet.scheduler.leader-takeover-delay must exceed"
                    + " gpufleet.scheduler.leader-lease (" + lease + ") by at least"
                    + " gpufleet.scheduler.leader-poll-interval (" + pollInterval + "), so a leader cut off from"
                    + " PostgreSQL stops before another starts; was " + takeoverDelay);
        }
    }
}
