package dev.gpufleet.worker.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One run of a supervised process as {@link RunLifecycle} sees it.
 *
 * @param preludeRuns        whether a prelude of this run runs (its processes are then killed, not just reported)
 * @param startedAt          when its process started; null before, and for an adopted process
 * @param readyAt            when it passed its readiness check; null before
 * @param deadline           until when the awaited process or the readiness check may take; null before a start
 * @param startingProbeDelay the delay before the next readiness check
 * @param failedProbes       liveness probes failed in a row
 * @param quickExits         failed starts in a row (see {@link RunPolicy.Restarts})
 * @param restartDelay       the delay before the next restart after an exit
 * @param failure            what to report once its processes are gone (STOPPING), or what was reported (FAILED)
 */
public record RunState(RunPhase phase, boolean preludeRuns, Instant startedAt, Instant readyAt, Instant deadline,
                       Duration startingProbeDelay, int failedProbes, int quickExits, Duration restartDelay,
                       Optional<RunFailure> failure) {

    /** A run nothing of which has started yet. */
    public static RunState preparing(RunPolicy policy) {
        return new RunState(RunPhase.PREPARING, false, null, null, null, policy.firstProbe(), 0, 0,
                policy.restarts().map(RunPolicy.Restarts::first).orElse(Duration.ZERO), Optional.empty());
    }

    /** Starting, running or waiting to start: the run's process is (or will be) there. */
    public boolean active() {
        return phase == RunPhase.PREPARING || phase == RunPhase.STARTING || phase == RunPhase.RUNNING
                || phase == RunPhase.BACKING_OFF;
    }

    RunState inPhase(RunPhase next) {
        return new RunState(next, preludeRuns, startedAt, readyAt, deadline, startingProbeDelay, failedProbes,
                quickExits, restartDelay, failure);
    }

    RunState awaiting(boolean prelude, Instant until) {
        return new RunState(RunPhase.PREPARING, prelude, startedAt, null, until, startingProbeDelay, failedProbes,
                quickExits, restartDelay, failure);
    }

    RunState started(Instant now, Instant until) {
        return new RunState(RunPhase.STARTING, preludeRuns, now, null, until, startingProbeDelay, 0, quickExits,
                restartDelay, failure);
    }

    RunState adopted(RunPhase next, Instant readySince, Instant until) {
        return new RunState(next, preludeRuns, null, readySince, until, startingProbeDelay, 0, quickExits,
                restartDelay, failure);
    }

    RunState ready(Instant now) {
        return new RunState(RunPhase.RUNNING, preludeRuns, startedAt, now, deadline, startingProbeDelay, 0,
                quickExits, restartDelay, failure);
    }

    RunState withStartingProbeDelay(Duration next) {
        return new RunState(phase, preludeRuns, startedAt, readyAt, deadline, next, failedProbes, quickExits,
                restartDelay, failure);
    }

    RunState withFailedProbes(int count) {
        return new RunState(phase, preludeRuns, startedAt, readyAt, deadline, startingProbeDelay, count, quickExits,
                restartDelay, failure);
    }

    RunState backingOff(int exitsInARow, Duration nextDelay) {
        return new RunState(RunPhase.BACKING_OFF, preludeRuns, startedAt, readyAt, deadline, startingProbeDelay,
                failedProbes, exitsInARow, nextDelay, failure);
    }

    RunState withQuickExits(int count) {
        return new RunState(phase, preludeRuns, startedAt, readyAt, deadline, startingProbeDelay, failedProbes, count,
                restartDelay, failure);
    }

    RunState ending(RunPhase next, Optional<RunFailure> why) {
        return new RunState(next, preludeRuns, startedAt, readyAt, deadline, startingProbeDelay, failedProbes,
                quickExits, restartDelay, why);
    }
}
