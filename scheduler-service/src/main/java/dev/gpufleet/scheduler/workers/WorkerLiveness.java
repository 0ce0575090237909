package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;

import java.time.Duration;
import java.time.Instant;

/**
 * The state the scheduler gives a worker: UNREACHABLE once more than {@value #MISSED_HEARTBEATS} heartbeat
 * intervals passed without a heartbeat, else what the agent reports (READY or NOT_READY). Pure.
 */
public final class WorkerLiveness {
    public static final int MISSED_HEARTBEATS = 3;
    /** Used when a heartbeat carries no usable interval (DESIGN §2 default). */
    public static final int DEFAULT_INTERVAL_SECONDS = 5;

    private WorkerLiveness() {
    }

    public static WorkerState stateOf(WorkerState reported, Instant lastHeartbeat, int intervalSeconds, Instant now) {
        return stateOf(reported, lastHeartbeat, intervalSeconds, Instant.MIN, now);
    }

    /**
     * @param watchingSince when the observer began receiving heartbeats: silence before that is not the worker's
     *                      (after a scheduler restart its heartbeats are still waiting in Kafka)
     */
    public static WorkerState stateOf(WorkerState reported, Instant lastHeartbeat, int intervalSeconds,
                                      Instant watchingSince, Instant now) {
        Instant silentSince = lastHeartbeat.isAfter(watchingSince) ? lastHeartbeat : watchingSince;
        if (Duration.between(silentSince, now).compareTo(unreachableAfter(intervalSeconds)) > 0) {
            return WorkerState.UNREACHABLE;
        }
        return reported == WorkerState.READY ? WorkerState.READY : WorkerState.NOT_READY;
    }

    /**
     * The state a heartbeat gives its worker: what the agent reports (MAINTENANCE when cordoned), except that a
     * lost worker stays UNREACHABLE on a heartbeat heard too long ago (built before it was lost, delivered late).
     * Losing a worker is the heartbeat check's to decide, never a heartbeat's.
     *
     * @param before  the state held; null for a new worker
     * @param heardAt when the worker was heard, by this heartbeat ({@link HeartbeatStream})
     */
    public static WorkerState afterHeartbeat(WorkerState before, WorkerState reported, Instant heardAt,
                                             int intervalSeconds, boolean cordoned, Instant now) {
        if (before == WorkerState.UNREACHABLE
                && stateOf(reported, heardAt, intervalSeconds, now) == WorkerState.UNREACHABLE) {
            return WorkerState.UNREACHABLE;
        }
        return withCordon(reported == WorkerState.READY ? WorkerState.READY : WorkerState.NOT_READY, cordoned);
    }

    /** A cordoned worker is MAINTENANCE unless it is lost: its instances must know that it is. */
    public static WorkerState withCordon(WorkerState live, boolean cordoned) {
        return cordoned && live != WorkerState.UNREACHABLE ? WorkerState.MAINTENANCE : live;
    }

    public static Duration unreachableAfter(int intervalSeconds) {
        int interval = intervalSeconds > 0 ? intervalSeconds : DEFAULT_INTERVAL_SECONDS;
        return Duration.ofSeconds((long) interval * MISSED_HEARTBEATS);
    }
}
