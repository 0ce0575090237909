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

    /** A cordoned worker is MAINTENANCE unless it is lost: its instances must know that it is. */
    public static WorkerState withCordon(WorkerState live, boolean cordoned) {
        return cordoned && live != WorkerState.UNREACHABLE ? WorkerState.MAINTENANCE : live;
    }

    public static Duration unreachableAfter(int intervalSeconds) {
        int interval = intervalSeconds > 0 ? intervalSeconds : DEFAULT_INTERVAL_SECONDS;
        return Duration.ofSeconds((long) interval * MISSED_HEARTBEATS);
    }
}
