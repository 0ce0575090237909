package dev.gpufleet.worker.lifecycle;

import java.time.Duration;
import java.util.Optional;

/** What the owner of a run does next: the outputs of {@link RunLifecycle}. */
public sealed interface RunDecision {

    /** Start the run's process now: what it waited for is there. */
    record Launch() implements RunDecision {
    }

    /** Plan the run's launch anew and start it: the delay after an exit is over. */
    record Relaunch() implements RunDecision {
    }

    /** Ask the awaited process whether it accepts connections after this delay (zero: at once). */
    record PollDependency(Duration after) implements RunDecision {
    }

    /** Check the run's readiness or liveness after this delay. */
    record Probe(Duration after) implements RunDecision {
    }

    /** The run passed its readiness check: say so. */
    record BecameReady() implements RunDecision {
    }

    /** A liveness probe passed. */
    record StillHealthy() implements RunDecision {
    }

    /** Start the exited process again after this delay. */
    record RestartAfter(Duration delay) implements RunDecision {
    }

    /**
     * Stop the run's processes (with their trees), then signal {@link RunSignal.Stopped}.
     *
     * @param failure why, when the run is killed because it failed (reported once it is gone)
     */
    record Kill(Optional<RunFailure> failure) implements RunDecision {
    }

    /**
     * Report the failure now; nothing of the run is left running.
     *
     * @param withLogTail whether a process of this run wrote to its log, whose last lines then say why
     */
    record Fail(RunFailure failure, boolean withLogTail) implements RunDecision {
    }

    /** The run stopped without a failure: forget it. */
    record Forget() implements RunDecision {
    }
}
