package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.WorkerState;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * What happens next to a placed instance because of time passing or its worker's state (observations are
 * {@link Observations}; placing PENDING ones is {@code PlacementEngine}). Pure.
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
     */
    public record WorkerFacts(WorkerState state, InstanceState listedState) {
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

    /** @param worker null for an instance that is not placed */
    public static Step next(InstanceFacts instance, WorkerFacts worker, boolean restartOnError, Duration backoffBase,
                            Instant now) {
        if (worker == null || instance.state() == InstanceState.PENDING) {
            return new Stay();
        }
        if (worker.state() == WorkerState.UNREACHABLE) {
            return instance.state() == InstanceState.UNREACHABLE ? new Stay() : new MarkUnreachable();
        }
        if (instance.state() == InstanceState.UNREACHABLE) {
            return new Restore(restoredState(instance, worker));
        }
        if (instance.state() == InstanceState.ERROR && restartOnError
                && !now.isBefore(instance.stateSince().plus(
                        RestartBackoff.delay(instance.recentRestarts() + 1, backoffBase)))) {
            return new Restart();
        }
        if (instance.state() == InstanceState.RUNNING && instance.recentRestarts() > 0
                && !now.isBefore(instance.stateSince().plus(RestartBackoff.RESET_AFTER))) {
            return new ResetBackoff();
        }
        return new Stay();
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
