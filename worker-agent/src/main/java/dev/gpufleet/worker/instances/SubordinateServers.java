package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.worker.backend.HealthProbe;
import dev.gpufleet.worker.backend.LogTail;
import dev.gpufleet.worker.lifecycle.RunDecision;
import dev.gpufleet.worker.lifecycle.RunFailure;
import dev.gpufleet.worker.lifecycle.RunLifecycle;
import dev.gpufleet.worker.lifecycle.RunPhase;
import dev.gpufleet.worker.lifecycle.RunPolicy;
import dev.gpufleet.worker.lifecycle.RunSignal;
import dev.gpufleet.worker.processes.PortProbe;
import dev.gpufleet.worker.processes.ProcessRunner;
import dev.gpufleet.worker.processes.StepThread;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

/**
 * Runs the helper processes this worker lends to distributed instances whose main backend runs on another worker
 * ({@link RpcServerPlan} decides which; a {@link ServerRole} plans each kind): for llama-box, llama.cpp RPC servers,
 * one per GPU ({@link RpcServerRole}); for vLLM, one Ray worker node holding the GPUs lent, started once the Ray head
 * on the main worker accepts connections on its GCS port, and ready when its node manager port listens
 * ({@link RayWorkerRole}); for MindIE, one MindIE node on the NPUs lent, started once the main worker's MindIE is
 * STARTING, with the same rank table, and counted as started once it has run {@link #MIN_UPTIME}
 * ({@link MindieNodeRole}).
 *
 * <p>The instance's state is the main worker's to report; this class only reports ERROR (on
 * {@code gpufleet.instance-status}) when a server cannot start: its binary or GPU is missing, it exits before it
 * listens, or it does not listen within the start timeout. A server that exits after it listened is restarted with
 * backoff (1 s doubling to 30 s) without a report: the main backend's own probes tell whether the instance suffers.
 * Servers are recorded in {@code <data-dir>/rpc-servers/} and adopted by the next run of the agent after a crash
 * ({@link SubordinateLeftovers}). {@link RunLifecycle} decides what each check, exit and stop means.
 *
 * <p>All state lives on one thread of its own, fed snapshots of the instance table by the {@link BackendSupervisor}.
 */
public final class SubordinateServers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SubordinateServers.class);
    static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
    static final Duration LONGEST_RESTART_DELAY = Duration.ofSeconds(30);
    /** A server that listened this long before it exited restarts after the first delay again. */
    static final Duration STABLE = Duration.ofMinutes(1);
    private static final Duration READY_POLL = Duration.ofMillis(200);
    /**
     * A server that exits sooner after its start did not start, even if its port answered (another process may
     * hold the port, and a server that cannot bind exits within moments).
     */
    static final Duration MIN_UPTIME = Duration.ofSeconds(3);

    private final SupervisorSettings settings;
    private final ObservationSink sink;
    private final Clock clock;
    private final StepThread steps;
    private final ProcessRunner processes;
    private final SubordinateLeftovers leftovers;
    private final Map<RpcServerPlan.Role, ServerRole> roles = new EnumMap<>(RpcServerPlan.Role.class);
    private final Map<RpcServerPlan.Role, RunLifecycle> lifecycles = new EnumMap<>(RpcServerPlan.Role.class);

    private final Map<RpcServerPlan.Key, SubordinateServer> servers = new HashMap<>();
    private Map<String, InstanceChanged> instances = Map.of();
    private boolean updated;
    private boolean graceOver;
    private boolean closing;

    public SubordinateServers(SupervisorSettings settings, ObservationSink sink, Clock clock) {
        this.settings = settings;
        this.sink = sink;
        this.clock = clock;
        this.steps = new StepThread("gpufleet-rpc-servers", "gpufleet-rpc-kill", LOG, "RPC server step failed");
        this.processes = new ProcessRunner(steps, clock, settings.stopTimeout());
        this.leftovers = new SubordinateLeftovers(settings.dataDir(), processes);
        roles.put(RpcServerPlan.Role.RPC_SERVER,
                new RpcServerRole(settings, HealthProbe.probeHost(settings.backendHost())));
        roles.put(RpcServerPlan.Role.RAY_WORKER, new RayWorkerRole(settings));
        roles.put(RpcServerPlan.Role.MINDIE_NODE, new MindieNodeRole(settings));
        roles.forEach((role, strategy) -> lifecycles.put(role, new RunLifecycle(new RunPolicy(
                settings.startTimeout(), READY_POLL, READY_POLL, READY_POLL, Optional.empty(), 0,
                Optional.of(new RunPolicy.Restarts(FIRST_RESTART_DELAY, LONGEST_RESTART_DELAY, STABLE, MIN_UPTIME,
                        strategy.quickExitsToFail()))), clock)));
    }

    /** Finds the servers an earlier run of the agent left running, to adopt those still wanted. */
    public void start() {
        post(leftovers::load);
    }

    /** The scheduler's instances as the supervisor holds them now (a snapshot this class may keep). */
    public void update(Map<String, InstanceChanged> live) {
        post(() -> {
            instances = live;
            if (!updated) {
                updated = true;
                if (!leftovers.isEmpty()) {
                    schedule(() -> {
                        graceOver = true;
                        reconcile();
                    }, settings.adoptionGrace());
                }
            }
            reconcile();
        });
    }

    private void reconcile() {
        if (closing) {
            return;
        }
        settleLeftovers();
        List<RpcServerPlan.Held> held = servers.values().stream().map(SubordinateServer::held).toList();
        for (RpcServerPlan.Action action : RpcServerPlan.decide(settings.workerId(), instances, held)) {
            switch (action.kind()) {
                case START -> startServer(action.instance(), action.key(), action.reason());
                case STOP -> {
                    SubordinateServer server = servers.get(action.key());
                    LOG.infof("Stopping %s: %s", server.key.describe(), action.reason());
                    apply(server, server.lifecycle.on(server.state, new RunSignal.StopRequested()));
                }
                case FORGET -> servers.remove(action.key());
            }
        }
    }

    private SubordinateServer newServer(RpcServerPlan.Key key, String name, int restartCount) {
        return new SubordinateServer(key, name, restartCount, roles.get(key.role()), lifecycles.get(key.role()));
    }

    private void startServer(InstanceChanged instance, RpcServerPlan.Key key, String reason) {
        SubordinateServer server = newServer(key, instance.name() == null ? instance.instanceId() : instance.name(),
                instance.restartCount());
        servers.put(key, server);
        launch(server, reason);
    }

    private void launch(SubordinateServer server, String reason) {
        ServerLaunch launch = server.role.plan(server.key, instances.get(server.key.instanceId()));
        if (launch instanceof ServerLaunch.Cannot cannot) {
            apply(server, server.lifecycle.on(server.state, new RunSignal.LaunchFailed(cannot.message())));
        } else if (launch instanceof ServerLaunch.Spawn spawn) {
            server.spawn = spawn;
            server.reason = reason;
            server.port = spawn.port();
            server.readyHost = spawn.readyHost();
            if (spawn.awaits().isPresent()) {
                apply(server, server.lifecycle.on(server.state, new RunSignal.AwaitDependency(false, Duration.ZERO)));
            } else {
                spawn(server);
            }
        }
        // ServerLaunch.Gone: the instance was deleted meanwhile, the next reconcile forgets the server
    }

    private void pollAwaited(SubordinateServer server) {
        if (!current(server) || server.phase() != RunPhase.PREPARING) {
            return;
        }
        ServerLaunch.Awaited awaited = server.spawn.awaits().orElseThrow();
        apply(server, server.lifecycle.on(server.state,
                new RunSignal.DependencyPolled(PortProbe.accepts(awaited.host(), awaited.port()))));
    }

    private void spawn(SubordinateServer server) {
        ServerLaunch.Spawn spawn = server.spawn;
        Process process;
        try {
            server.logFile = logFile(settings.dataDir(), server.name, server.key);
            server.logOffset = processes.markStart(server.logFile, server.key.describe() + " on port " + server.port);
            process = processes.start(spawn.command().args(), spawn.environment(), server.logFile);
        } catch (IOException | RuntimeException e) {
            apply(server, server.lifecycle.on(server.state, new RunSignal.LaunchFailed("cannot start "
                    + spawn.command().args().get(0) + ": " + e.getMessage())));
            return;
        }
        server.handle = process.toHandle();
        server.pid = process.pid();
        RunLifecycle.Step started = server.lifecycle.on(server.state, new RunSignal.Launched());
        server.state = started.state();
        leftovers.record(server);
        LOG.infof("Starting %s (%s) on port %d as pid %d: %s", server.key.describe(), server.reason, server.port,
                server.pid, spawn.command().redacted());
        processes.whenExits(process, code -> onExit(server, "exited with code " + code));
        apply(server, started);
    }

    private void checkReady(SubordinateServer server) {
        if (!current(server) || server.phase() != RunPhase.STARTING) {
            return;
        }
        boolean ready = server.readyHost == null
                ? !clock.instant().isBefore(server.state.startedAt().plus(MIN_UPTIME))
                : PortProbe.accepts(server.readyHost, server.port);
        apply(server, server.lifecycle.on(server.state, new RunSignal.ProbeAnswered(ready,
                ready ? "ready" : "not ready")));
    }

    private void onExit(SubordinateServer server, String exited) {
        if (!current(server) || (server.phase() != RunPhase.STARTING && server.phase() != RunPhase.RUNNING)) {
            return;
        }
        cancel(server);
        leftovers.forget(server.key);
        server.handle = null;
        server.exited = exited;
        apply(server, server.lifecycle.on(server.state, new RunSignal.Exited(exited)));
    }

    /** Carries out what the {@link RunLifecycle} decided for a server. */
    private void apply(SubordinateServer server, RunLifecycle.Step step) {
        server.state = step.state();
        for (RunDecision decision : step.decisions()) {
            if (decision instanceof RunDecision.PollDependency poll) {
                if (poll.after().isZero()) {
                    pollAwaited(server);
                } else {
                    server.task = schedule(() -> pollAwaited(server), poll.after());
                }
            } else if (decision instanceof RunDecision.Launch) {
                spawn(server);
            } else if (decision instanceof RunDecision.Relaunch) {
                launch(server, "it exited");
            } else if (decision instanceof RunDecision.Probe probe) {
                server.task = schedule(() -> checkReady(server), probe.after());
            } else if (decision instanceof RunDecision.BecameReady) {
                LOG.infof(server.readyHost == null ? "%s runs (port %d)" : "%s listens on port %d",
                        server.key.describe(), server.port);
            } else if (decision instanceof RunDecision.RestartAfter restart) {
                LOG.warnf("%s %s; restarting it in %ds (log: %s)", server.key.describe(), server.exited,
                        restart.delay().toSeconds(), server.logFile);
                server.task = schedule(() -> {
                    if (current(server)) {
                        apply(server, server.lifecycle.on(server.state, new RunSignal.RestartDue()));
                    }
                }, restart.delay());
            } else if (decision instanceof RunDecision.Kill) {
                stopProcess(server);
            } else if (decision instanceof RunDecision.Fail fail) {
                fail(server, message(server, fail.failure()) + (fail.withLogTail()
                        ? "; last log lines:\n" + LogTail.of(server.logFile, server.logOffset) : ""));
            } else if (decision instanceof RunDecision.Forget) {
                servers.remove(server.key);
                LOG.infof("%s stopped; port %d is free", server.key.describe(), server.port);
            } else {
                throw new IllegalStateException(decision + " does not happen to a subordinate server");
            }
        }
    }

    private String message(SubordinateServer server, RunFailure failure) {
        String on = server.key.describe() + " on subordinate worker " + settings.workerId();
        String timeout = settings.startTimeout().toSeconds() + "s (gpufleet.worker.start-timeout)";
        if (failure instanceof RunFailure.CannotStart cannot) {
            return cannot.reason();
        }
        if (failure instanceof RunFailure.DependencyTimedOut) {
            return on + " did not start: " + server.spawn.awaits().orElseThrow().description()
                    + " did not accept connections within " + timeout;
        }
        if (failure instanceof RunFailure.StartTimedOut) {
            return on + " did not listen on port " + server.port + " within " + timeout + "; it was killed";
        }
        if (failure instanceof RunFailure.ExitedEarly early) {
            return on + " " + early.how() + (early.exitsInARow() > 0 ? " (" + early.exitsInARow() + " times in a row)"
                    : "") + (!early.becameReady() && server.readyHost != null
                    ? " before it listened on port " + server.port
                    : " within " + MIN_UPTIME.toSeconds() + "s of its start on port " + server.port);
        }
        throw new IllegalStateException(failure + " does not happen to a subordinate server");
    }

    private void fail(SubordinateServer server, String message) {
        servers.put(server.key, server);
        int firstLineEnd = message.indexOf('\n');
        LOG.warnf("Instance %s is in ERROR: %s", server.name, firstLineEnd < 0 ? message
                : message.substring(0, firstLineEnd));
        sink.publish(new InstanceObserved(server.key.instanceId(), settings.workerId(), InstanceState.ERROR, null,
                null, null, message, server.restartCount));
    }

    private void stopProcess(SubordinateServer server) {
        cancel(server);
        CompletableFuture<Void> stopped = server.handle == null ? CompletableFuture.completedFuture(null)
                : processes.stop(server.handle);
        stopped.whenComplete((ignored, failure) -> post(() -> onStopped(server)));
    }

    private void onStopped(SubordinateServer server) {
        leftovers.forget(server.key);
        if (closing || !current(server)) {
            return;
        }
        apply(server, server.lifecycle.on(server.state, new RunSignal.Stopped()));
        reconcile();
    }

    private boolean current(SubordinateServer server) {
        return servers.get(server.key) == server;
    }

    private void cancel(SubordinateServer server) {
        if (server.task != null) {
            server.task.cancel(false);
        }
    }

    /** Stops every RPC server this agent runs and waits for them (at most the stop timeout and a little). */
    @Override
    public void close() {
        if (steps.isShutdown()) {
            return;
        }
        Optional<Exception> notConfirmed = steps.shutdownAfter(() -> {
            closing = true;
            List<CompletableFuture<Void>> stops = new ArrayList<>(leftovers.stopAll());
            for (SubordinateServer server : servers.values()) {
                server.state = server.lifecycle.on(server.state, new RunSignal.StopRequested()).state();
                cancel(server);
                if (server.handle != null) {
                    LOG.infof("Stopping %s: the agent is shutting down", server.key.describe());
                    stops.add(processes.stop(server.handle));
                }
            }
            return stops;
        }, settings.stopTimeout().plusSeconds(5));
        notConfirmed.ifPresent(e -> LOG.warnf("Not every RPC server was confirmed stopped: %s", e.toString()));
        servers.keySet().forEach(leftovers::forget);
        leftovers.forgetAll();
    }

    /** What a crash of the agent does, for tests: the servers keep running, their pid files stay. */
    void abandon() {
        steps.shutdown();
    }

    private void post(Runnable task) {
        steps.post(task);
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return steps.schedule(task, delay);
    }

    static Path logFile(Path dataDir, String instanceName, RpcServerPlan.Key key) {
        String base = BackendSupervisor.logFileName(instanceName, key.instanceId());
        return dataDir.resolve(BackendSupervisor.LOG_DIR).resolve(base.substring(0, base.length() - ".log".length())
                + "." + (key.role().perGpu() ? "rpc-gpu" + key.gpuIndex() : key.role().tag()) + ".log");
    }

    /** Adopts leftovers still wanted here; stops the others once the scheduler had its grace to claim them. */
    private void settleLeftovers() {
        for (SubordinateLeftovers.Settled settled : leftovers.settle(settings.workerId(), instances, graceOver,
                roles::get)) {
            RpcServerPlan.Key key = settled.key();
            if (settled instanceof SubordinateLeftovers.Adopt adopt) {
                SubordinateServer server = newServer(key, adopt.instance().name() == null ? key.instanceId()
                        : adopt.instance().name(), adopt.leftover().restartCount());
                server.port = adopt.leftover().port();
                server.pid = adopt.leftover().pid();
                server.handle = adopt.process();
                server.logOffset = adopt.leftover().logOffset();
                server.logFile = logFile(settings.dataDir(), server.name, key);
                server.state = server.lifecycle.on(server.state, new RunSignal.Adopted()).state();
                servers.put(key, server);
                LOG.infof("Adopting %s (pid %d, port %d)", key.describe(), server.pid, server.port);
                processes.whenExits(server.handle, () -> onExit(server,
                        "exited (it was adopted from an earlier run of the agent, so its exit code is unknown)"));
            } else if (settled instanceof SubordinateLeftovers.Stop stop) {
                LOG.infof("Stopping %s (pid %d) left by an earlier run of this agent: %s", key.describe(),
                        stop.leftover().pid(), stop.reason());
                processes.stop(stop.process()).whenComplete((ignored, failure) -> post(() -> {
                    leftovers.forget(key);
                    reconcile();
                }));
            }
        }
    }
}
