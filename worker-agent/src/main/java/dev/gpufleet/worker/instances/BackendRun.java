package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.download.ModelFiles;
import dev.gpufleet.worker.lifecycle.RunFailure;
import dev.gpufleet.worker.lifecycle.RunPhase;
import dev.gpufleet.worker.lifecycle.RunState;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/** One attempt at running an instance's backend. Touched only on the supervisor thread. */
final class BackendRun {
    final String instanceId;
    final String name;
    final int restartCount;
    RunState state;
    int port;
    /** the loopback port the backend listens on behind the agent's authenticating proxy; 0 when it has none */
    int backendPort;
    long pid;
    ProcessHandle handle;
    Path logFile;
    long logOffset;
    String warnings;
    /** the pending probe, prelude poll or nothing */
    ScheduledFuture<?> task;
    CompletableFuture<Void> stopped;
    /** the model's files on their way (no process yet); null once they are here */
    CompletableFuture<ModelFiles.Prepared> download;
    /** what is started, and why (for the log): set once the launch is planned */
    BackendLaunch launch;
    String reason;
    /** the process started before the backend and living beside it (the Ray head); null for most backends */
    ProcessHandle prelude;
    List<Integer> gpuIndexes = List.of();
    /** when the memory its processes hold is measured next (RUNNING only), and what was last reported */
    Instant nextUsageSample;
    ResourceClaim reportedUsage;

    BackendRun(InstanceChanged instance, RunState state) {
        this(instance.instanceId(), instance.name() == null ? instance.instanceId() : instance.name(),
                instance.restartCount(), state);
    }

    BackendRun(String instanceId, String name, int restartCount, RunState state) {
        this.instanceId = instanceId;
        this.name = name;
        this.restartCount = restartCount;
        this.state = state;
    }

    RunPhase phase() {
        return state.phase();
    }

    Held held() {
        return new Held(instanceId, switch (phase()) {
            case PREPARING, STARTING, BACKING_OFF -> Held.Phase.STARTING;
            case RUNNING -> Held.Phase.RUNNING;
            case STOPPING, STOPPED -> Held.Phase.STOPPING;
            case FAILED -> Held.Phase.FAILED;
        }, restartCount);
    }

    /** What the heartbeat says about it: nothing while it stops quietly. */
    Optional<ObservedInstance> observed() {
        InstanceState reported = switch (phase()) {
            case PREPARING, STARTING, BACKING_OFF -> download != null ? InstanceState.DOWNLOADING
                    : InstanceState.STARTING;
            case RUNNING -> InstanceState.RUNNING;
            case FAILED -> InstanceState.ERROR;
            case STOPPING, STOPPED -> state.failure().isPresent() ? InstanceState.ERROR : null;
        };
        return Optional.ofNullable(reported).map(state -> new ObservedInstance(instanceId, state));
    }

    /** The message that reports a failure of this run (without the log's last lines). */
    String message(RunFailure failure, Duration startTimeout) {
        if (failure instanceof RunFailure.CannotStart cannot) {
            return cannot.reason();
        }
        if (failure instanceof RunFailure.Exited exited) {
            return exited.how();
        }
        if (failure instanceof RunFailure.StartTimedOut timedOut) {
            return "backend did not answer GET /health with 200 within " + seconds(startTimeout)
                    + " (gpufleet.worker.start-timeout; last probe: " + timedOut.lastProbe() + "); it was killed";
        }
        if (failure instanceof RunFailure.StoppedAnswering stopped) {
            return "backend stopped answering GET /health: " + stopped.probesInARow() + " probes in a row failed "
                    + "(last: " + stopped.lastProbe() + "); it was killed";
        }
        if (failure instanceof RunFailure.DependencyTimedOut) {
            BackendLaunch.Prelude prelude = launch.prelude();
            return prelude.name() + " did not accept connections on " + prelude.readyHost() + ":"
                    + prelude.readyPort() + " within " + seconds(startTimeout)
                    + " (gpufleet.worker.start-timeout); it was killed";
        }
        throw new IllegalStateException(failure + " does not happen to a backend");
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
}
