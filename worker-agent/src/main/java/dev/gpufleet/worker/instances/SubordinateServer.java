package dev.gpufleet.worker.instances;

import dev.gpufleet.worker.lifecycle.RunLifecycle;
import dev.gpufleet.worker.lifecycle.RunPhase;
import dev.gpufleet.worker.lifecycle.RunState;

import java.nio.file.Path;
import java.util.concurrent.ScheduledFuture;

/** One helper process a subordinate worker runs, across its restarts. Touched only on its supervisor's thread. */
final class SubordinateServer {
    final RpcServerPlan.Key key;
    final String name;
    final int restartCount;
    final ServerRole role;
    final RunLifecycle lifecycle;
    RunState state;
    int port;
    long pid;
    ProcessHandle handle;
    Path logFile;
    long logOffset;
    /** where its port is checked once it runs; null: it counts as started after a while (see {@link ServerLaunch}) */
    String readyHost;
    /** the latest launch planned, and why (for the log) */
    ServerLaunch.Spawn spawn;
    String reason;
    /** how it last exited, for the log */
    String exited;
    /** the pending readiness check, head poll, restart or nothing */
    ScheduledFuture<?> task;

    SubordinateServer(RpcServerPlan.Key key, String name, int restartCount, ServerRole role, RunLifecycle lifecycle) {
        this.key = key;
        this.name = name;
        this.restartCount = restartCount;
        this.role = role;
        this.lifecycle = lifecycle;
        this.state = lifecycle.initial();
    }

    RunPhase phase() {
        return state.phase();
    }

    /** Starting, running and waiting to restart are all RUNNING to the plan. */
    RpcServerPlan.Held held() {
        return new RpcServerPlan.Held(key, switch (phase()) {
            case PREPARING, STARTING, RUNNING, BACKING_OFF -> RpcServerPlan.Phase.RUNNING;
            case STOPPING, STOPPED -> RpcServerPlan.Phase.STOPPING;
            case FAILED -> RpcServerPlan.Phase.FAILED;
        }, restartCount);
    }
}
