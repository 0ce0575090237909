package dev.gpufleet.scheduler.workers;

import java.time.Duration;
import java.time.Instant;

/**
 * When the scheduler last heard a worker, judged by the worker's own heartbeats rather than by when they arrived.
 * Each heartbeat carries the agent's run, its number in that run ({@code heartbeatSequence}) and the agent's
 * {@code occurredAt}. The next number, built no more than the unreachable threshold after the previous one, shows
 * the worker alive all that time: if it arrives late (heartbeats queued in a stalled pipe and delivered together),
 * the worker is credited as heard at the time it built it, on the scheduler's clock (the previous hearing plus the
 * agent's own spacing); a gap in the numbers or in the spacing is the worker's own silence, which ended when this
 * heartbeat arrived. Only differences of one clock are compared, never the agent's clock with the scheduler's. Pure.
 */
public final class HeartbeatStream {

    private HeartbeatStream() {
    }

    /** The heartbeat held for the worker: where it was in the agent's stream, and when it was heard. */
    public record Position(String runId, Long sequence, Instant occurredAt, Instant heardAt) {
    }

    /** How a heartbeat follows the one held. */
    public enum Continuity {
        /** No heartbeat held before. */
        FIRST,
        /** The agent does not number its heartbeats (an older agent): heard when it arrived. */
        UNNUMBERED,
        /** Another run of the agent: it restarted. */
        RESTARTED,
        /** The next one, on time. */
        NEXT,
        /** The next one, delivered late: heard at the time the worker built it. */
        LATE,
        /** Numbers or time skipped: the worker was silent, or its heartbeats did not get out. */
        GAP
    }

    /**
     * @param heardAt    when the worker is taken to have been heard, on the scheduler's clock
     * @param ownSilence for a {@link Continuity#GAP}: the time between the two heartbeats on the agent's clock
     */
    public record Heard(Instant heardAt, Continuity continuity, Duration ownSilence) {
    }

    /**
     * @param held       null when the worker has no heartbeat held
     * @param receivedAt when this heartbeat arrived, on the scheduler's clock
     */
    public static Heard heard(Position held, String runId, Long sequence, Instant occurredAt, Instant receivedAt,
                              int intervalSeconds) {
        if (held == null) {
            return new Heard(receivedAt, Continuity.FIRST, null);
        }
        if (runId == null || sequence == null || held.sequence() == null || held.occurredAt() == null
                || held.heardAt() == null) {
            return new Heard(receivedAt, held.runId() != null && runId != null && !runId.equals(held.runId())
                    ? Continuity.RESTARTED : Continuity.UNNUMBERED, null);
        }
        if (!runId.equals(held.runId())) {
            return new Heard(receivedAt, Continuity.RESTARTED, null);
        }
        Duration spacing = Duration.between(held.occurredAt(), occurredAt);
        if (sequence != held.sequence() + 1 || spacing.isNegative()
                || spacing.compareTo(WorkerLiveness.unreachableAfter(intervalSeconds)) > 0) {
            return new Heard(receivedAt, Continuity.GAP, spacing);
        }
        Instant built = held.heardAt().plus(spacing);
        Duration interval = WorkerLiveness.unreachableAfter(intervalSeconds)
                .dividedBy(WorkerLiveness.MISSED_HEARTBEATS);
        if (receivedAt.isAfter(built.plus(interval))) {
            return new Heard(built, Continuity.LATE, null);
        }
        return new Heard(receivedAt.isBefore(held.heardAt()) ? held.heardAt() : receivedAt, Continuity.NEXT, null);
    }
}
