package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.WorkerState;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What happens next to a placed instance because of time passing or its worker's state (observations are
 * {@link Observations}; placing PENDING ones is {@code PlacementEngine}). Pure.
 *
 * <p>Moves are of two kinds. A move the scheduler chooses while the instance still serves (a drain) is made before
 * it breaks: a replacement, one instance beyond the model's replicas, is placed first and the instance is stopped
 * only once the replacement runs; until then, and for as long as the replacement cannot be placed or fails, the
 * instance keeps serving. A move forced on it (its worker lost past the grace period, a placement never picked up)
 * and a move of an instance that does not serve anyway (not RUNNING) break first: the instance is deleted and a new
 * one takes its replica.
 */
public final class InstanceLifecycle {
    /** States in which a returning worker's word is taken as the instance's state. */
    private static final Set<InstanceState> REPORTABLE = Set.of(InstanceState.SCHEDULED, InstanceState.DOWNLOADING,
            InstanceState.STARTING, InstanceState.RUNNING, InstanceState.ERROR);

    private InstanceLifecycle() {
    }

    /** The instance as this rule needs it. */
    public record InstanceFacts(InstanceState state, Instant stateSince, int recentRestarts,
                                InstanceState observedState) {
    }

    /**
     * Its worker.
     *
     * @param listedState what the worker's latest heartbeat says about the instance; null when not listed
     * @param draining    an admin asked for its instances to move elsewhere
     */
    public record WorkerFacts(WorkerState state, InstanceState listedState, boolean draining) {
        public WorkerFacts(WorkerState state, InstanceState listedState) {
            this(state, listedState, false);
        }
    }

    /**
     * The settings the rules follow.
     *
     * @param unreachableGrace how long an instance stays UNREACHABLE before it is replaced elsewhere
     * @param scheduledTimeout how long a READY worker may take to report an instance placed on it
     */
    public record Policy(boolean restartOnError, Duration backoffBase, Duration unreachableGrace,
                         Duration scheduledTimeout) {
    }

    /**
     * The instance that is to take over from this one (make before break), as far as this rule needs it.
     *
     * @param state the replacement's state
     */
    public record ReplacementFacts(InstanceState state) {
    }

    /** Why an instance leaves its worker. */
    public enum Why {
        /** Its worker has been UNREACHABLE for longer than the grace period. */
        WORKER_LOST,
        /** An admin drains its worker. */
        DRAINED,
        /** Its READY worker never reported it within the timeout. */
        NEVER_PICKED_UP
    }

    /** When a replaced instance gives its replica to its replacement. */
    public enum HandOverWhen {
        /** The replacement is RUNNING: the move is made. */
        REPLACEMENT_RUNNING,
        /** The instance does not serve (any more): waiting for its replacement keeps nothing up. */
        NOT_SERVING
    }

    public sealed interface Step {
    }

    /** Nothing to do now. */
    public record Stay() implements Step {
    }

    /** Its worker is lost: not routed to any more, but kept (and its claim held) for when the worker is back. */
    public record MarkUnreachable() implements Step {
    }

    /** Its worker is back: the instance takes the state the worker reports (SCHEDULED if it reports none). */
    public record Restore(InstanceState state) implements Step {
    }

    /** Back to SCHEDULED on the same worker, one restart more. */
    public record Restart() implements Step {
    }

    /** It ran long enough: the next error backs off from the first step again. */
    public record ResetBackoff() implements Step {
    }

    /**
     * Deleted (its worker stops it, or has stopped it, as one it no longer owns) and a new PENDING instance takes
     * its replica, so that placement can put it elsewhere.
     */
    public record Replace(Why why) implements Step {
    }

    /** Back to PENDING, off its worker, to be placed again; the instance keeps its identity. */
    public record PlaceAgain(Why why) implements Step {
    }

    /**
     * Make before break: a new PENDING instance, beyond the model's replicas and marked as replacing this one, is
     * created so that placement puts it elsewhere; this one keeps serving.
     */
    public record StartReplacement(Why why) implements Step {
    }

    /** Its replacement does not run yet (it waits for placement, starts, or failed): this one keeps serving. */
    public record AwaitReplacement(Why why) implements Step {
    }

    /** Deleted (its worker stops it); its replacement takes its replica. */
    public record HandOver(HandOverWhen when) implements Step {
    }

    /** The move is called off (its worker is no longer drained) before the replacement ran: the replacement goes. */
    public record CancelReplacement() implements Step {
    }

    /** An instance without a replacement. */
    public static Step next(InstanceFacts instance, WorkerFacts worker, Policy policy, Instant now) {
        return next(instance, worker, null, policy, now);
    }

    /**
     * @param worker      null for an instance that is not placed
     * @param replacement the instance placed to take over from this one; null when there is none
     */
    public static Step next(InstanceFacts instance, WorkerFacts worker, ReplacementFacts replacement, Policy policy,
                            Instant now) {
        if (replacement != null) {
            return whileReplaced(instance, worker, replacement);
        }
        if (worker == null || instance.state() == InstanceState.PENDING) {
            return new Stay();
        }
        if (worker.state() == WorkerState.UNREACHABLE && instance.state() != InstanceState.UNREACHABLE) {
            return new MarkUnreachable();
        }
        if (worker.draining()) {
            // the scheduler's own move: made before it breaks, unless there is nothing to keep up
            return instance.state() == InstanceState.RUNNING ? new StartReplacement(Why.DRAINED)
                    : new Replace(Why.DRAINED);
        }
        if (worker.state() == WorkerState.UNREACHABLE) {
            return lasted(instance, policy.unreachableGrace(), now) ? new Replace(Why.WORKER_LOST) : new Stay();
        }
        if (instance.state() == InstanceState.UNREACHABLE) {
            return new Restore(restoredState(instance, worker));
        }
        if (instance.state() == InstanceState.SCHEDULED && worker.state() == WorkerState.READY
                && instance.observedState() == null && worker.listedState() == null
                && lasted(instance, policy.scheduledTimeout(), now)) {
            return new PlaceAgain(Why.NEVER_PICKED_UP);
        }
        if (instance.state() == InstanceState.ERROR && policy.restartOnError()
                && lasted(instance, RestartBackoff.delay(instance.recentRestarts() + 1, policy.backoffBase()), now)) {
            return new Restart();
        }
        if (instance.state() == InstanceState.RUNNING && instance.recentRestarts() > 0
                && !now.isBefore(instance.stateSince().plus(RestartBackoff.RESET_AFTER))) {
            return new ResetBackoff();
        }
        return new Stay();
    }

    /**
     * A replacement is kept while the instance serves on a worker it must leave. Once the replacement runs, or the
     * instance stops serving (its worker lost, an error), the replacement takes its replica; a move called off while
     * the instance still serves deletes the replacement.
     */
    private static Step whileReplaced(InstanceFacts instance, WorkerFacts worker, ReplacementFacts replacement) {
        if (replacement.state() == InstanceState.RUNNING) {
            return new HandOver(HandOverWhen.REPLACEMENT_RUNNING);
        }
        if (worker == null || instance.state() == InstanceState.PENDING) {
            return new HandOver(HandOverWhen.NOT_SERVING);
        }
        if (worker.state() == WorkerState.UNREACHABLE && instance.state() != InstanceState.UNREACHABLE) {
            return new MarkUnreachable();
        }
        if (instance.state() != InstanceState.RUNNING) {
            return new HandOver(HandOverWhen.NOT_SERVING);
        }
        if (!worker.draining()) {
            return new CancelReplacement();
        }
        return new AwaitReplacement(Why.DRAINED);
    }

    private static boolean lasted(InstanceFacts instance, Duration period, Instant now) {
        return !now.isBefore(instance.stateSince().plus(period));
    }

    /** The heartbeat is the freshest word; else the last observation (taken in while unreachable too). */
    private static InstanceState restoredState(InstanceFacts instance, WorkerFacts worker) {
        if (worker.listedState() != null && REPORTABLE.contains(worker.listedState())) {
            return worker.listedState();
        }
        if (instance.observedState() != null && REPORTABLE.contains(instance.observedState())) {
            return instance.observedState();
        }
        return InstanceState.SCHEDULED;
    }
}
