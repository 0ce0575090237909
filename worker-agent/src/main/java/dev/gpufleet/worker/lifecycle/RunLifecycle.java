package dev.gpufleet.worker.lifecycle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The life of one run of a supervised process: (its state, a signal) → (its next state, decisions). Pure: it starts
 * nothing and waits for nothing; the supervisor that owns the run carries the decisions out and feeds back what
 * happened. Signals a phase does not expect (a late probe answer, an exit after a stop) change nothing.
 *
 * <ul>
 *   <li>PREPARING: an awaited process is polled every {@link RunPolicy#dependencyPoll()} until it accepts
 *   connections ({@link RunDecision.Launch}) or the start timeout passes (failed).</li>
 *   <li>STARTING: the readiness check runs after {@link RunPolicy#firstProbe()}, its delay doubling up to
 *   {@link RunPolicy#slowestStartingProbe()}, until it passes (RUNNING) or the start timeout passes (killed, failed).
 *   </li>
 *   <li>RUNNING: with a liveness interval, {@link RunPolicy#failedProbesToKill()} failed probes in a row kill it.</li>
 *   <li>An exit fails the run, or with {@link RunPolicy#restarts()} starts it again after a delay (1 s, 2 s, … for
 *   the defaults of the subordinate servers); too many failed starts in a row fail it.</li>
 *   <li>A failure while a process runs kills it first and is reported once it is gone; a failure with nothing
 *   running is reported at once.</li>
 * </ul>
 */
public final class RunLifecycle {
    private final RunPolicy policy;
    private final Clock clock;

    /** The run's next state and what to do, in order. */
    public record Step(RunState state, List<RunDecision> decisions) {
        public Step {
            decisions = List.copyOf(decisions);
        }

        static Step of(RunState state, RunDecision... decisions) {
            return new Step(state, List.of(decisions));
        }
    }

    public RunLifecycle(RunPolicy policy, Clock clock) {
        this.policy = policy;
        this.clock = clock;
    }

    /** A new run: nothing of it has started yet. */
    public RunState initial() {
        return RunState.preparing(policy);
    }

    public Step on(RunState state, RunSignal signal) {
        Instant now = clock.instant();
        if (signal instanceof RunSignal.AwaitDependency await) {
            return state.phase() != RunPhase.PREPARING ? unchanged(state)
                    : Step.of(state.awaiting(await.preludeRuns(), now.plus(policy.startTimeout())),
                    new RunDecision.PollDependency(await.firstPoll()));
        }
        if (signal instanceof RunSignal.DependencyPolled polled) {
            return dependencyPolled(state, polled.accepts(), now);
        }
        if (signal instanceof RunSignal.Launched) {
            return state.phase() != RunPhase.PREPARING ? unchanged(state)
                    : Step.of(state.started(now, now.plus(policy.startTimeout())),
                    new RunDecision.Probe(state.startingProbeDelay()));
        }
        if (signal instanceof RunSignal.Adopted) {
            return adopted(state, now);
        }
        if (signal instanceof RunSignal.LaunchFailed failed) {
            return state.phase() != RunPhase.PREPARING ? unchanged(state)
                    : failed(state, new RunFailure.CannotStart(failed.reason()));
        }
        if (signal instanceof RunSignal.ProbeAnswered answer) {
            return probeAnswered(state, answer, now);
        }
        if (signal instanceof RunSignal.Exited exited) {
            return state.phase() != RunPhase.STARTING && state.phase() != RunPhase.RUNNING ? unchanged(state)
                    : exited(state, exited.how(), now);
        }
        if (signal instanceof RunSignal.PreludeExited exited) {
            return state.phase() != RunPhase.PREPARING && state.phase() != RunPhase.STARTING
                    && state.phase() != RunPhase.RUNNING ? unchanged(state)
                    : kill(state, new RunFailure.Exited(exited.how()));
        }
        if (signal instanceof RunSignal.RestartDue) {
            return state.phase() != RunPhase.BACKING_OFF ? unchanged(state)
                    : Step.of(state.inPhase(RunPhase.PREPARING), new RunDecision.Relaunch());
        }
        if (signal instanceof RunSignal.StopRequested) {
            return !state.active() ? unchanged(state)
                    : Step.of(state.ending(RunPhase.STOPPING, Optional.empty()),
                    new RunDecision.Kill(Optional.empty()));
        }
        if (signal instanceof RunSignal.Stopped) {
            return stopped(state);
        }
        throw new IllegalArgumentException("unknown signal " + signal);
    }

    private Step dependencyPolled(RunState state, boolean accepts, Instant now) {
        if (state.phase() != RunPhase.PREPARING || state.deadline() == null) {
            return unchanged(state);
        }
        if (accepts) {
            return Step.of(state, new RunDecision.Launch());
        }
        if (!now.isBefore(state.deadline())) {
            return failed(state, new RunFailure.DependencyTimedOut());
        }
        return Step.of(state, new RunDecision.PollDependency(policy.dependencyPoll()));
    }

    /** A process whose liveness is probed is probed again at once; one checked only at its start is taken as ready. */
    private Step adopted(RunState state, Instant now) {
        if (state.phase() != RunPhase.PREPARING) {
            return unchanged(state);
        }
        if (policy.liveness().isPresent()) {
            return Step.of(state.adopted(RunPhase.STARTING, null, now.plus(policy.startTimeout())),
                    new RunDecision.Probe(Duration.ZERO));
        }
        return Step.of(state.adopted(RunPhase.RUNNING, now, null));
    }

    private Step probeAnswered(RunState state, RunSignal.ProbeAnswered answer, Instant now) {
        if (state.phase() == RunPhase.STARTING) {
            if (answer.healthy()) {
                List<RunDecision> decisions = new ArrayList<>();
                decisions.add(new RunDecision.BecameReady());
                policy.liveness().ifPresent(interval -> decisions.add(new RunDecision.Probe(interval)));
                return new Step(state.ready(now), decisions);
            }
            if (!now.isBefore(state.deadline())) {
                return kill(state, new RunFailure.StartTimedOut(answer.detail()));
            }
            Duration delay = state.startingProbeDelay();
            return Step.of(state.withStartingProbeDelay(min(delay.multipliedBy(2), policy.slowestStartingProbe())),
                    new RunDecision.Probe(delay));
        }
        if (state.phase() != RunPhase.RUNNING || policy.liveness().isEmpty()) {
            return unchanged(state);
        }
        Duration interval = policy.liveness().get();
        if (answer.healthy()) {
            return Step.of(state.withFailedProbes(0), new RunDecision.StillHealthy(), new RunDecision.Probe(interval));
        }
        int failedProbes = state.failedProbes() + 1;
        if (failedProbes >= policy.failedProbesToKill()) {
            return kill(state, new RunFailure.StoppedAnswering(failedProbes, answer.detail()));
        }
        return Step.of(state.withFailedProbes(failedProbes), new RunDecision.Probe(interval));
    }

    private Step exited(RunState state, String how, Instant now) {
        if (policy.restarts().isEmpty()) {
            RunFailure failure = new RunFailure.Exited(how);
            // its prelude goes with it
            return state.preludeRuns() ? kill(state, failure) : Step.of(
                    state.ending(RunPhase.FAILED, Optional.of(failure)), new RunDecision.Fail(failure, true));
        }
        RunPolicy.Restarts restarts = policy.restarts().get();
        boolean early = state.startedAt() != null
                && Duration.between(state.startedAt(), now).compareTo(restarts.minUptime()) < 0;
        int quickExits = 0;
        if (state.readyAt() == null || early) {
            quickExits = state.quickExits() + 1;
            if (quickExits >= restarts.quickExitsToFail()) {
                RunFailure failure = new RunFailure.ExitedEarly(how, state.readyAt() != null,
                        restarts.quickExitsToFail() > 1 ? quickExits : 0);
                return Step.of(state.ending(RunPhase.FAILED, Optional.of(failure)).withQuickExits(quickExits),
                        new RunDecision.Fail(failure, true));
            }
        }
        Duration delay = state.readyAt() != null
                && Duration.between(state.readyAt(), now).compareTo(restarts.stableAfter()) >= 0
                ? restarts.first() : state.restartDelay();
        return Step.of(state.backingOff(quickExits, min(delay.multipliedBy(2), restarts.longest())),
                new RunDecision.RestartAfter(delay));
    }

    private Step stopped(RunState state) {
        if (state.phase() != RunPhase.STOPPING) {
            return unchanged(state);
        }
        if (state.failure().isPresent()) {
            return Step.of(state.inPhase(RunPhase.FAILED), new RunDecision.Fail(state.failure().get(), true));
        }
        return Step.of(state.inPhase(RunPhase.STOPPED), new RunDecision.Forget());
    }

    /** A failure: what runs of the run is killed first, else it is reported at once. */
    private Step failed(RunState state, RunFailure failure) {
        if (state.preludeRuns()) {
            return kill(state, failure);
        }
        return Step.of(state.ending(RunPhase.FAILED, Optional.of(failure)), new RunDecision.Fail(failure, false));
    }

    private static Step kill(RunState state, RunFailure failure) {
        return Step.of(state.ending(RunPhase.STOPPING, Optional.of(failure)),
                new RunDecision.Kill(Optional.of(failure)));
    }

    private static Step unchanged(RunState state) {
        return Step.of(state);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
