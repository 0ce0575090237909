package dev.gpufleet.worker.lifecycle;

import dev.gpufleet.worker.lifecycle.RunDecision.BecameReady;
import dev.gpufleet.worker.lifecycle.RunDecision.Fail;
import dev.gpufleet.worker.lifecycle.RunDecision.Forget;
import dev.gpufleet.worker.lifecycle.RunDecision.Kill;
import dev.gpufleet.worker.lifecycle.RunDecision.Launch;
import dev.gpufleet.worker.lifecycle.RunDecision.PollDependency;
import dev.gpufleet.worker.lifecycle.RunDecision.Probe;
import dev.gpufleet.worker.lifecycle.RunDecision.Relaunch;
import dev.gpufleet.worker.lifecycle.RunDecision.RestartAfter;
import dev.gpufleet.worker.lifecycle.RunDecision.StillHealthy;
import dev.gpufleet.worker.lifecycle.RunFailure.CannotStart;
import dev.gpufleet.worker.lifecycle.RunFailure.DependencyTimedOut;
import dev.gpufleet.worker.lifecycle.RunFailure.ExitedEarly;
import dev.gpufleet.worker.lifecycle.RunFailure.StartTimedOut;
import dev.gpufleet.worker.lifecycle.RunFailure.StoppedAnswering;
import dev.gpufleet.worker.lifecycle.RunSignal.Adopted;
import dev.gpufleet.worker.lifecycle.RunSignal.AwaitDependency;
import dev.gpufleet.worker.lifecycle.RunSignal.DependencyPolled;
import dev.gpufleet.worker.lifecycle.RunSignal.Exited;
import dev.gpufleet.worker.lifecycle.RunSignal.Launched;
import dev.gpufleet.worker.lifecycle.RunSignal.LaunchFailed;
import dev.gpufleet.worker.lifecycle.RunSignal.PreludeExited;
import dev.gpufleet.worker.lifecycle.RunSignal.ProbeAnswered;
import dev.gpufleet.worker.lifecycle.RunSignal.RestartDue;
import dev.gpufleet.worker.lifecycle.RunSignal.StopRequested;
import dev.gpufleet.worker.lifecycle.RunSignal.Stopped;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.gpufleet.worker.lifecycle.RunPhase.BACKING_OFF;
import static dev.gpufleet.worker.lifecycle.RunPhase.FAILED;
import static dev.gpufleet.worker.lifecycle.RunPhase.RUNNING;
import static dev.gpufleet.worker.lifecycle.RunPhase.STARTING;
import static dev.gpufleet.worker.lifecycle.RunPhase.STOPPED;
import static dev.gpufleet.worker.lifecycle.RunPhase.STOPPING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Every transition of a run, without processes or waiting: a fixed clock, a state, a signal. */
class RunLifecycleTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration LIVENESS = Duration.ofSeconds(10);

    /** What the backend supervisor uses: health probes, no restarts of its own (the scheduler restarts). */
    private static final RunPolicy BACKEND = new RunPolicy(START_TIMEOUT, ms(250), Duration.ofSeconds(2), ms(200),
            Optional.of(LIVENESS), 3, Optional.empty());
    /** An RPC server: a port check at its start, restarts with backoff, the first failed start fails it. */
    private static final RunPolicy SERVER = new RunPolicy(START_TIMEOUT, ms(200), ms(200), ms(200),
            Optional.empty(), 0, Optional.of(new RunPolicy.Restarts(Duration.ofSeconds(1), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofSeconds(3), 1)));
    /** A Ray worker: like a server, but three failed starts in a row fail it. */
    private static final RunPolicy RAY = new RunPolicy(START_TIMEOUT, ms(200), ms(200), ms(200),
            Optional.empty(), 0, Optional.of(new RunPolicy.Restarts(Duration.ofSeconds(1), Duration.ofSeconds(30),
            Duration.ofMinutes(1), Duration.ofSeconds(3), 3)));

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    private static Instant at(Duration sinceT0) {
        return T0.plus(sinceT0);
    }

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    /** A fluent state for the cases: {@code run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60))}. */
    private static final class Run {
        private RunState state;

        Run(RunPolicy policy) {
            state = RunState.preparing(policy);
        }

        private Run with(RunState next) {
            state = next;
            return this;
        }

        Run in(RunPhase phase) {
            return with(state.inPhase(phase));
        }

        Run prelude() {
            return with(new RunState(state.phase(), true, state.startedAt(), state.readyAt(), state.deadline(),
                    state.startingProbeDelay(), state.failedProbes(), state.quickExits(), state.restartDelay(),
                    state.failure()));
        }

        Run startedAt(Duration sinceT0) {
            return with(new RunState(state.phase(), state.preludeRuns(), at(sinceT0), state.readyAt(),
                    state.deadline(), state.startingProbeDelay(), state.failedProbes(), state.quickExits(),
                    state.restartDelay(), state.failure()));
        }

        Run readyAt(Duration sinceT0) {
            return with(new RunState(state.phase(), state.preludeRuns(), state.startedAt(), at(sinceT0),
                    state.deadline(), state.startingProbeDelay(), state.failedProbes(), state.quickExits(),
                    state.restartDelay(), state.failure()));
        }

        Run deadline(Duration sinceT0) {
            return with(new RunState(state.phase(), state.preludeRuns(), state.startedAt(), state.readyAt(),
                    at(sinceT0), state.startingProbeDelay(), state.failedProbes(), state.quickExits(),
                    state.restartDelay(), state.failure()));
        }

        Run probeDelay(Duration delay) {
            return with(state.withStartingProbeDelay(delay));
        }

        Run failedProbes(int count) {
            return with(state.withFailedProbes(count));
        }

        Run quickExits(int count) {
            return with(state.withQuickExits(count));
        }

        Run restartDelay(Duration delay) {
            return with(new RunState(state.phase(), state.preludeRuns(), state.startedAt(), state.readyAt(),
                    state.deadline(), state.startingProbeDelay(), state.failedProbes(), state.quickExits(), delay,
                    state.failure()));
        }

        Run failure(RunFailure failure) {
            return with(state.ending(state.phase(), Optional.of(failure)));
        }

        RunState get() {
            return state;
        }
    }

    private static Run run(RunPolicy policy) {
        return new Run(policy);
    }

    private static Kill kill(RunFailure failure) {
        return new Kill(Optional.of(failure));
    }

    private static Kill stop() {
        return new Kill(Optional.empty());
    }

    private static final RunFailure EXITED = new RunFailure.Exited("backend exited with code 1");

    /** name, policy, state before, when (since T0), signal, state after, decisions */
    static Stream<Arguments> transitions() {
        return Stream.of(
                // the start of a backend
                arguments("launched: STARTING, first readiness probe after 250 ms, start timeout from now", BACKEND,
                        run(BACKEND).get(), s(5), new Launched(),
                        run(BACKEND).in(STARTING).startedAt(s(5)).deadline(s(65)).get(), List.of(new Probe(ms(250)))),
                arguments("unhealthy while STARTING: probe again, the next delay doubles", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(1),
                        new ProbeAnswered(false, "connection refused"),
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(ms(500)).get(),
                        List.of(new Probe(ms(250)))),
                arguments("probe delays double up to 2 s", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(ms(1500)).get(), s(10),
                        new ProbeAnswered(false, "503"),
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(s(2)).get(),
                        List.of(new Probe(ms(1500)))),
                arguments("probe delays stay at 2 s", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(s(2)).get(), s(20),
                        new ProbeAnswered(false, "503"),
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(s(2)).get(),
                        List.of(new Probe(s(2)))),
                arguments("just before the start timeout: probe again", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(s(2)).get(),
                        ms(59_999), new ProbeAnswered(false, "503"),
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).probeDelay(s(2)).get(),
                        List.of(new Probe(s(2)))),
                arguments("healthy while STARTING: RUNNING, the first liveness probe after the interval", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(3),
                        new ProbeAnswered(true, "200"),
                        run(BACKEND).in(RUNNING).startedAt(s(0)).readyAt(s(3)).deadline(s(60)).get(),
                        List.of(new BecameReady(), new Probe(LIVENESS))),
                arguments("equal edge case: unhealthy at the start timeout itself is too late: killed", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(60),
                        new ProbeAnswered(false, "no answer within 300 ms"),
                        run(BACKEND).in(STOPPING).startedAt(s(0)).deadline(s(60))
                                .failure(new StartTimedOut("no answer within 300 ms")).get(),
                        List.of(kill(new StartTimedOut("no answer within 300 ms")))),

                // a RUNNING backend
                arguments("a healthy liveness probe clears the failed ones", BACKEND,
                        run(BACKEND).in(RUNNING).readyAt(s(0)).failedProbes(2).get(), s(30),
                        new ProbeAnswered(true, "200"), run(BACKEND).in(RUNNING).readyAt(s(0)).get(),
                        List.of(new StillHealthy(), new Probe(LIVENESS))),
                arguments("a failed liveness probe is counted", BACKEND,
                        run(BACKEND).in(RUNNING).readyAt(s(0)).failedProbes(1).get(), s(30),
                        new ProbeAnswered(false, "500"), run(BACKEND).in(RUNNING).readyAt(s(0)).failedProbes(2).get(),
                        List.of(new Probe(LIVENESS))),
                arguments("the third failed liveness probe in a row kills it", BACKEND,
                        run(BACKEND).in(RUNNING).readyAt(s(0)).failedProbes(2).get(), s(30),
                        new ProbeAnswered(false, "500"),
                        run(BACKEND).in(STOPPING).readyAt(s(0)).failedProbes(2)
                                .failure(new StoppedAnswering(3, "500")).get(),
                        List.of(kill(new StoppedAnswering(3, "500")))),
                arguments("exit while RUNNING: failed at once, with its log", BACKEND,
                        run(BACKEND).in(RUNNING).readyAt(s(0)).get(), s(30), new Exited("backend exited with code 1"),
                        run(BACKEND).in(FAILED).readyAt(s(0)).failure(EXITED).get(),
                        List.of(new Fail(EXITED, true))),
                arguments("exit while STARTING: failed at once, with its log", BACKEND,
                        run(BACKEND).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(1),
                        new Exited("backend exited with code 1"),
                        run(BACKEND).in(FAILED).startedAt(s(0)).deadline(s(60)).failure(EXITED).get(),
                        List.of(new Fail(EXITED, true))),
                arguments("exit beside a running prelude: killed, so the prelude goes too", BACKEND,
                        run(BACKEND).prelude().in(RUNNING).readyAt(s(0)).get(), s(30),
                        new Exited("backend exited with code 1"),
                        run(BACKEND).prelude().in(STOPPING).readyAt(s(0)).failure(EXITED).get(),
                        List.of(kill(EXITED))),

                // a prelude (the Ray head of a vLLM instance) or a process elsewhere to wait for
                arguments("a prelude started: polled after 200 ms, until the start timeout", BACKEND,
                        run(BACKEND).get(), s(1), new AwaitDependency(true, ms(200)),
                        run(BACKEND).prelude().deadline(s(61)).get(), List.of(new PollDependency(ms(200)))),
                arguments("a process elsewhere: polled at once", SERVER, run(SERVER).get(), s(1),
                        new AwaitDependency(false, Duration.ZERO), run(SERVER).deadline(s(61)).get(),
                        List.of(new PollDependency(Duration.ZERO))),
                arguments("the awaited process accepts: launch", BACKEND,
                        run(BACKEND).prelude().deadline(s(60)).get(), s(2), new DependencyPolled(true),
                        run(BACKEND).prelude().deadline(s(60)).get(), List.of(new Launch())),
                arguments("the awaited process does not accept yet: poll again", BACKEND,
                        run(BACKEND).prelude().deadline(s(60)).get(), s(2), new DependencyPolled(false),
                        run(BACKEND).prelude().deadline(s(60)).get(), List.of(new PollDependency(ms(200)))),
                arguments("a prelude that never accepts: killed at the start timeout", BACKEND,
                        run(BACKEND).prelude().deadline(s(60)).get(), s(60), new DependencyPolled(false),
                        run(BACKEND).prelude().in(STOPPING).deadline(s(60)).failure(new DependencyTimedOut()).get(),
                        List.of(kill(new DependencyTimedOut()))),
                arguments("a process elsewhere that never accepts: failed at once, nothing ran to log", SERVER,
                        run(SERVER).deadline(s(60)).get(), s(61), new DependencyPolled(false),
                        run(SERVER).in(FAILED).deadline(s(60)).failure(new DependencyTimedOut()).get(),
                        List.of(new Fail(new DependencyTimedOut(), false))),
                arguments("the prelude exits while the backend starts: killed", BACKEND,
                        run(BACKEND).prelude().in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(5),
                        new PreludeExited("the Ray head exited with code 137"),
                        run(BACKEND).prelude().in(STOPPING).startedAt(s(0)).deadline(s(60))
                                .failure(new RunFailure.Exited("the Ray head exited with code 137")).get(),
                        List.of(kill(new RunFailure.Exited("the Ray head exited with code 137")))),
                arguments("the prelude exits before the backend started: killed", BACKEND,
                        run(BACKEND).prelude().deadline(s(60)).get(), s(5),
                        new PreludeExited("the Ray head exited with code 1"),
                        run(BACKEND).prelude().in(STOPPING).deadline(s(60))
                                .failure(new RunFailure.Exited("the Ray head exited with code 1")).get(),
                        List.of(kill(new RunFailure.Exited("the Ray head exited with code 1")))),

                // cannot start
                arguments("cannot launch: failed at once", BACKEND, run(BACKEND).get(), s(0),
                        new LaunchFailed("no llama-box"),
                        run(BACKEND).in(FAILED).failure(new CannotStart("no llama-box")).get(),
                        List.of(new Fail(new CannotStart("no llama-box"), false))),
                arguments("cannot launch beside a running prelude: killed with it", BACKEND,
                        run(BACKEND).prelude().deadline(s(60)).get(), s(3), new LaunchFailed("cannot start vllm"),
                        run(BACKEND).prelude().in(STOPPING).deadline(s(60))
                                .failure(new CannotStart("cannot start vllm")).get(),
                        List.of(kill(new CannotStart("cannot start vllm")))),

                // adoption after an agent crash
                arguments("an adopted backend is STARTING and probed at once", BACKEND, run(BACKEND).get(), s(7),
                        new Adopted(), run(BACKEND).in(STARTING).deadline(s(67)).get(),
                        List.of(new Probe(Duration.ZERO))),
                arguments("an adopted server is taken as ready", SERVER, run(SERVER).get(), s(7), new Adopted(),
                        run(SERVER).in(RUNNING).readyAt(s(7)).get(), List.of()),

                // stops: the instance was deleted, moved or restarted (spec changed), or the agent shuts down
                arguments("a stop while RUNNING kills without a failure", BACKEND,
                        run(BACKEND).in(RUNNING).readyAt(s(0)).get(), s(9), new StopRequested(),
                        run(BACKEND).in(STOPPING).readyAt(s(0)).get(), List.of(stop())),
                arguments("a stop while STARTING kills without a failure", BACKEND,
                        run(BACKEND).in(STARTING).deadline(s(60)).get(), s(9), new StopRequested(),
                        run(BACKEND).in(STOPPING).deadline(s(60)).get(), List.of(stop())),
                arguments("a stop while downloading kills what there is", BACKEND, run(BACKEND).get(), s(9),
                        new StopRequested(), run(BACKEND).in(STOPPING).get(), List.of(stop())),
                arguments("a stop while backing off kills what there is", SERVER,
                        run(SERVER).in(BACKING_OFF).get(), s(9), new StopRequested(),
                        run(SERVER).in(STOPPING).get(), List.of(stop())),
                arguments("stopped after a stop: forgotten", BACKEND, run(BACKEND).in(STOPPING).get(), s(9),
                        new Stopped(), run(BACKEND).in(STOPPED).get(), List.of(new Forget())),
                arguments("stopped after a kill for a failure: the failure is reported with the log", BACKEND,
                        run(BACKEND).in(STOPPING).failure(new StoppedAnswering(3, "500")).get(), s(9), new Stopped(),
                        run(BACKEND).in(FAILED).failure(new StoppedAnswering(3, "500")).get(),
                        List.of(new Fail(new StoppedAnswering(3, "500"), true))),

                // signals a phase does not expect
                arguments("a probe answer after a stop changes nothing", BACKEND,
                        run(BACKEND).in(STOPPING).get(), s(9), new ProbeAnswered(true, "200"),
                        run(BACKEND).in(STOPPING).get(), List.of()),
                arguments("an exit while stopping changes nothing", BACKEND, run(BACKEND).in(STOPPING).get(), s(9),
                        new Exited("backend exited with code 143"), run(BACKEND).in(STOPPING).get(), List.of()),
                arguments("a second stop changes nothing", BACKEND, run(BACKEND).in(STOPPING).get(), s(9),
                        new StopRequested(), run(BACKEND).in(STOPPING).get(), List.of()),
                arguments("a failed run is not stopped again", BACKEND,
                        run(BACKEND).in(FAILED).failure(EXITED).get(), s(9), new StopRequested(),
                        run(BACKEND).in(FAILED).failure(EXITED).get(), List.of()),
                arguments("a restart that comes after a stop changes nothing", SERVER,
                        run(SERVER).in(STOPPING).get(), s(9), new RestartDue(), run(SERVER).in(STOPPING).get(),
                        List.of()),
                arguments("no liveness probes for servers: a late answer while RUNNING changes nothing", SERVER,
                        run(SERVER).in(RUNNING).readyAt(s(0)).get(), s(9), new ProbeAnswered(false, "refused"),
                        run(SERVER).in(RUNNING).readyAt(s(0)).get(), List.of()),

                // subordinate servers: readiness, exits and restarts with backoff
                arguments("a server launched: its port is checked every 200 ms", SERVER, run(SERVER).get(), s(0),
                        new Launched(), run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(),
                        List.of(new Probe(ms(200)))),
                arguments("a server's port does not answer yet: checked again in 200 ms", SERVER,
                        run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(1),
                        new ProbeAnswered(false, "refused"),
                        run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), List.of(new Probe(ms(200)))),
                arguments("a server listens: ready, no liveness probes", SERVER,
                        run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(1),
                        new ProbeAnswered(true, "listens"),
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).deadline(s(60)).get(),
                        List.of(new BecameReady())),
                arguments("a server that does not listen within the start timeout is killed", SERVER,
                        run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(60),
                        new ProbeAnswered(false, "refused"),
                        run(SERVER).in(STOPPING).startedAt(s(0)).deadline(s(60))
                                .failure(new StartTimedOut("refused")).get(),
                        List.of(kill(new StartTimedOut("refused")))),
                arguments("a server that exits after a good run restarts after 1 s, the next delay doubles", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).get(), s(20),
                        new Exited("exited with code 1"),
                        run(SERVER).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(2)).get(),
                        List.of(new RestartAfter(s(1)))),
                arguments("restart delays double up to 30 s", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).restartDelay(s(16)).get(), s(20),
                        new Exited("exited with code 1"),
                        run(SERVER).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(30)).get(),
                        List.of(new RestartAfter(s(16)))),
                arguments("restart delays stay at 30 s", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).restartDelay(s(30)).get(), s(20),
                        new Exited("exited with code 1"),
                        run(SERVER).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(30)).get(),
                        List.of(new RestartAfter(s(30)))),
                arguments("equal edge case: a server ready for exactly 1 minute restarts after 1 s again", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).restartDelay(s(8)).get(), s(61),
                        new Exited("exited with code 1"),
                        run(SERVER).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(2)).get(),
                        List.of(new RestartAfter(s(1)))),
                arguments("restart due: launched anew", SERVER, run(SERVER).in(BACKING_OFF).restartDelay(s(4)).get(),
                        s(9), new RestartDue(), run(SERVER).restartDelay(s(4)).get(), List.of(new Relaunch())),
                arguments("a server launched again keeps its backoff and its quick exits", RAY,
                        run(RAY).quickExits(2).restartDelay(s(4)).get(), s(9), new Launched(),
                        run(RAY).in(STARTING).startedAt(s(9)).deadline(s(69)).quickExits(2).restartDelay(s(4)).get(),
                        List.of(new Probe(ms(200)))),
                arguments("a server that exits before it listened failed to start", SERVER,
                        run(SERVER).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(5),
                        new Exited("exited with code 1"),
                        run(SERVER).in(FAILED).startedAt(s(0)).deadline(s(60)).quickExits(1)
                                .failure(new ExitedEarly("exited with code 1", false, 0)).get(),
                        List.of(new Fail(new ExitedEarly("exited with code 1", false, 0), true))),
                arguments("a server that exits within 3 s of its start failed to start though it listened", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).get(), ms(2_999),
                        new Exited("exited with code 1"),
                        run(SERVER).in(FAILED).startedAt(s(0)).readyAt(s(1)).quickExits(1)
                                .failure(new ExitedEarly("exited with code 1", true, 0)).get(),
                        List.of(new Fail(new ExitedEarly("exited with code 1", true, 0), true))),
                arguments("equal edge case: an exit 3 s after the start is no failed start", SERVER,
                        run(SERVER).in(RUNNING).startedAt(s(0)).readyAt(s(1)).get(), s(3),
                        new Exited("exited with code 1"),
                        run(SERVER).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(2)).get(),
                        List.of(new RestartAfter(s(1)))),
                arguments("an adopted server's exit is no failed start: its start time is unknown", SERVER,
                        run(SERVER).in(RUNNING).readyAt(s(0)).get(), s(1), new Exited("exited"),
                        run(SERVER).in(BACKING_OFF).readyAt(s(0)).restartDelay(s(2)).get(),
                        List.of(new RestartAfter(s(1)))),
                arguments("a Ray worker's first quick exit is retried", RAY,
                        run(RAY).in(STARTING).startedAt(s(0)).deadline(s(60)).get(), s(1),
                        new Exited("exited with code 134"),
                        run(RAY).in(BACKING_OFF).startedAt(s(0)).deadline(s(60)).quickExits(1).restartDelay(s(2))
                                .get(),
                        List.of(new RestartAfter(s(1)))),
                arguments("a Ray worker's third quick exit in a row fails it", RAY,
                        run(RAY).in(STARTING).startedAt(s(0)).deadline(s(60)).quickExits(2).restartDelay(s(4)).get(),
                        s(1), new Exited("exited with code 134"),
                        run(RAY).in(FAILED).startedAt(s(0)).deadline(s(60)).quickExits(3).restartDelay(s(4))
                                .failure(new ExitedEarly("exited with code 134", false, 3)).get(),
                        List.of(new Fail(new ExitedEarly("exited with code 134", false, 3), true))),
                arguments("a Ray worker's exit after a good run clears its quick exits", RAY,
                        run(RAY).in(RUNNING).startedAt(s(0)).readyAt(s(1)).quickExits(2).restartDelay(s(4)).get(),
                        s(30), new Exited("exited with code 1"),
                        run(RAY).in(BACKING_OFF).startedAt(s(0)).readyAt(s(1)).restartDelay(s(8)).get(),
                        List.of(new RestartAfter(s(4)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("transitions")
    void transition(String name, RunPolicy policy, RunState before, Duration when, RunSignal signal,
                    RunState after, List<RunDecision> decisions) {
        RunLifecycle lifecycle = new RunLifecycle(policy, Clock.fixed(at(when), ZoneOffset.UTC));

        assertEquals(new RunLifecycle.Step(after, decisions), lifecycle.on(before, signal));
    }
}
