package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.backend.HealthProbe;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.LocalPorts;
import dev.gpufleet.worker.backend.LogTail;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.backend.LaunchGuard;
import dev.gpufleet.worker.download.ModelFiles;
import dev.gpufleet.worker.lifecycle.RunDecision;
import dev.gpufleet.worker.lifecycle.RunLifecycle;
import dev.gpufleet.worker.lifecycle.RunPhase;
import dev.gpufleet.worker.lifecycle.RunPolicy;
import dev.gpufleet.worker.lifecycle.RunSignal;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.processes.PortProbe;
import dev.gpufleet.worker.processes.ProcessRunner;
import dev.gpufleet.worker.processes.StepThread;
import dev.gpufleet.worker.proxy.BackendKeyCheck;
import dev.gpufleet.worker.proxy.BackendProxies;
import dev.gpufleet.worker.proxy.BackendProxy;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;

/**
 * The backends this agent runs, one {@link BackendRun} per instance, and how each run is carried out: download the
 * model, plan the launch, start the prelude and the backend with their output in the instance's log, probe the
 * backend's health, stop process trees, and report each change through the {@link ObservationSink}. What a probe
 * answer, an exit or a stop means is the {@link RunLifecycle}'s to decide. Touched only on the supervisor thread.
 */
final class BackendRuns {
    /** Logged as the supervisor: an operator follows one backend's story in one category. */
    private static final Logger LOG = Logger.getLogger(BackendSupervisor.class);
    private static final Duration PRELUDE_POLL = Duration.ofMillis(200);
    static final int FAILED_PROBES_TO_KILL = 3;
    private static final Duration FIRST_PROBE = Duration.ofMillis(250);
    private static final Duration SLOWEST_STARTING_PROBE = Duration.ofSeconds(2);

    private final SupervisorSettings settings;
    private final ObservationSink sink;
    private final Clock clock;
    private final StepThread steps;
    private final ProcessRunner processes;
    private final RunLifecycle lifecycle;
    private final HealthProbe healthProbe;
    private final UsageReports usage = new UsageReports();
    private final String probeHost;
    private final PortRange portRange;
    private final String portRangeProblem;
    private final ModelFiles modelFiles;
    private final LaunchGuard guard;
    private final BackendLeftovers leftovers;
    private final BackendProxies proxies;
    /** Asks the supervisor to reconcile soon: a run failed or stopped. */
    private final Runnable reconcileSoon;

    private final Map<String, BackendRun> runs = new HashMap<>();
    private final Set<Integer> allocatedPorts = new HashSet<>();
    private boolean closing;
    private volatile List<ObservedInstance> observed = List.of();

    BackendRuns(SupervisorSettings settings, ObservationSink sink, Clock clock, StepThread steps,
                ProcessRunner processes, ModelFiles modelFiles, BackendLeftovers leftovers, Runnable reconcileSoon,
                LaunchGuard guard, BackendProxies proxies) {
        this.guard = guard;
        this.proxies = proxies;
        this.settings = settings;
        this.sink = sink;
        this.clock = clock;
        this.steps = steps;
        this.processes = processes;
        this.modelFiles = modelFiles;
        this.leftovers = leftovers;
        this.reconcileSoon = reconcileSoon;
        this.lifecycle = new RunLifecycle(new RunPolicy(settings.startTimeout(), FIRST_PROBE, SLOWEST_STARTING_PROBE,
                PRELUDE_POLL, Optional.of(settings.livenessInterval()), FAILED_PROBES_TO_KILL, Optional.empty()),
                clock);
        this.healthProbe = new HealthProbe(settings.probeTimeout());
        this.probeHost = HealthProbe.probeHost(settings.backendHost());
        PortRange range = null;
        String problem = null;
        try {
            range = PortRange.parse(settings.portRange());
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
            LOG.errorf("%s; no backend can start until it is fixed", problem);
        }
        this.portRange = range;
        this.portRangeProblem = problem;
    }

    /** What this agent runs (or failed to run), for the heartbeat. */
    List<ObservedInstance> observed() {
        return observed;
    }

    List<Held> held() {
        return runs.values().stream().map(BackendRun::held).toList();
    }

    /** The run of an instance, by id or else by name. */
    Optional<BackendRun> find(String instance) {
        BackendRun run = runs.get(instance);
        return run != null ? Optional.of(run)
                : runs.values().stream().filter(r -> r.name.equals(instance)).findFirst();
    }

    Optional<BackendRun> get(String instanceId) {
        return Optional.ofNullable(runs.get(instanceId));
    }

    /** Ports that leftovers of an earlier run of the agent hold. */
    void reserve(Collection<Integer> ports) {
        allocatedPorts.addAll(ports);
    }

    void stop(String instanceId, String reason) {
        BackendRun run = runs.get(instanceId);
        LOG.infof("Stopping instance %s: %s", run.name, reason);
        apply(run, lifecycle.on(run.state, new RunSignal.StopRequested()));
    }

    /** Drops the memory of a failure. */
    void forget(String instanceId) {
        runs.remove(instanceId);
    }

    /** Stops every backend (the agent shuts down); nothing more is reported. */
    List<CompletableFuture<Void>> stopAll() {
        closing = true;
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (BackendRun run : runs.values()) {
            if (run.state.active()) {
                LOG.infof("Stopping instance %s: the agent is shutting down", run.name);
                apply(run, lifecycle.on(run.state, new RunSignal.StopRequested()));
            }
            if (run.stopped != null) {
                stops.add(run.stopped);
            }
        }
        return stops;
    }

    /** After {@link #stopAll()} and the end of the supervisor thread: measuring ends, what is gone is forgotten. */
    void closed() {
        usage.close();
        for (BackendRun run : runs.values()) {
            if (run.handle != null && !run.handle.isAlive()) {
                leftovers.forgetBackend(run.instanceId);
            }
            if (run.prelude != null && !run.prelude.isAlive()) {
                leftovers.forgetPrelude(run.instanceId);
            }
        }
    }

    /** Supervision ends at once (a crash of the agent, for tests). */
    void abandon() {
        usage.close();
    }

    /**
     * Takes over a backend an earlier run of the agent left running, or stops it.
     *
     * @param instance null when the scheduler did not claim it
     */
    void adopt(Leftover leftover, InstanceChanged instance, ProcessHandle process, Adoption.Verdict verdict) {
        BackendRun run = instance != null ? new BackendRun(instance, lifecycle.initial())
                : new BackendRun(leftover.instanceId(), leftover.instanceId(), leftover.restartCount(),
                lifecycle.initial());
        run.port = leftover.port();
        run.backendPort = leftover.backendPort();
        run.pid = leftover.pid();
        run.logOffset = leftover.logOffset();
        run.handle = process;
        run.logFile = BackendSupervisor.logFile(settings.dataDir(), run.name, run.instanceId);
        runs.put(run.instanceId, run);
        if (verdict.kind() == Adoption.Kind.STOP) {
            LOG.infof("Stopping backend pid %d of instance %s left by an earlier run of this agent: %s",
                    run.pid, run.name, verdict.reason());
            apply(run, lifecycle.on(run.state, new RunSignal.StopRequested()));
            return;
        }
        LOG.infof("Adopting backend pid %d of instance %s on port %d: %s; RUNNING once it answers GET /health",
                run.pid, run.name, run.port, verdict.reason());
        if (run.backendPort > 0 && !openProxy(run)) {
            return;
        }
        processes.whenExits(run.handle, () -> onExit(run,
                "backend exited (it was adopted from an earlier run of the agent, so its exit code is unknown)"));
        apply(run, lifecycle.on(run.state, new RunSignal.Adopted()));
    }

    /** A leftover whose process ended before it was adopted: its port is free. */
    void leftoverGone(Leftover leftover) {
        allocatedPorts.remove(leftover.port());
    }

    private void post(Runnable task) {
        steps.post(task);
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return steps.schedule(task, delay);
    }

    void start(InstanceChanged instance, String reason) {
        runs.remove(instance.instanceId());
        BackendRun run = new BackendRun(instance, lifecycle.initial());
        run.gpuIndexes = instance.gpuIndexes();
        runs.put(run.instanceId, run);
        if (instance.launchPlan() != null && modelFiles.needsDownload(instance.launchPlan().source())) {
            download(run, instance, reason);
            return;
        }
        launch(run, instance, reason);
    }

    private boolean current(BackendRun run) {
        return runs.get(run.instanceId) == run;
    }

    private void download(BackendRun run, InstanceChanged instance, String reason) {
        LOG.infof("Instance %s (%s): downloading its model before it starts", run.name, run.instanceId);
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.DOWNLOADING, 0.0, null,
                null, null, run.restartCount));
        run.download = modelFiles.prepare(run.name, instance.launchPlan().source(),
                dev.gpufleet.events.Projectors.userProjector(instance.launchPlan().backendParameters()),
                progress -> post(() -> {
            if (current(run) && run.download != null && run.phase() == RunPhase.PREPARING) {
                sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.DOWNLOADING,
                        progress, null, null, null, run.restartCount));
            }
        }));
        // listed as DOWNLOADING from now on, the observation just sent with it
        publishObserved();
        run.download.whenComplete((prepared, failure) -> post(() -> {
            if (!current(run) || run.phase() != RunPhase.PREPARING || run.download == null) {
                return;
            }
            run.download = null;
            if (failure != null) {
                apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed("model download failed: "
                        + (failure.getCause() != null && failure instanceof CompletionException
                        ? failure.getCause().getMessage() : failure.getMessage()))));
            } else {
                launch(run, ModelFiles.withLocalFiles(instance, prepared), reason);
            }
            publishObserved();
        }));
    }

    private void launch(BackendRun run, InstanceChanged instance, String reason) {
        Optional<String> refused = guard.problem(instance.launchPlan());
        if (refused.isPresent()) {
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed(refused.get())));
            return;
        }
        BackendLaunch launch = LaunchPlanner.plan(instance, BackendHosts.of(settings, () -> portRange
                .pick(allocatedPorts, port -> LocalPorts.inUse(settings.backendHost(), port)), portRangeProblem));
        if (!launch.ready()) {
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed(launch.problem())));
            return;
        }
        run.launch = launch;
        run.reason = reason;
        run.port = launch.port();
        run.backendPort = launch.backendPort();
        run.warnings = launch.warnings().isEmpty() ? null : "warning: " + String.join("; ", launch.warnings());
        run.logFile = BackendSupervisor.logFile(settings.dataDir(), run.name, run.instanceId);
        try {
            run.logOffset = processes.markStart(run.logFile, "instance " + run.name + " (restart "
                    + run.restartCount + ") on port " + run.port);
        } catch (IOException | RuntimeException e) {
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed("cannot write the log of instance "
                    + run.name + ": " + e.getMessage())));
            return;
        }
        if (launch.prelude() != null) {
            startPrelude(run);
        } else {
            startBackend(run);
        }
    }

    /** Starts the launch's prelude, then the backend once the prelude accepts connections. */
    private void startPrelude(BackendRun run) {
        BackendLaunch.Prelude prelude = run.launch.prelude();
        Process process;
        try {
            processes.markStart(run.logFile, prelude.name() + ": " + prelude.command().redacted());
            process = processes.start(prelude.command().args(), prelude.environment(), run.logFile);
        } catch (IOException | RuntimeException e) {
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed("cannot start " + prelude.name() + " ("
                    + prelude.command().args().get(0) + "): " + e.getMessage())));
            return;
        }
        allocatedPorts.add(run.port);
        run.prelude = process.toHandle();
        leftovers.recordPrelude(run);
        LOG.infof("Starting %s of instance %s (%s) as pid %d: %s", prelude.name(), run.name, run.instanceId,
                process.pid(), prelude.command().redacted());
        // STARTING at once, without a pid: the backend's comes when it starts
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.STARTING, null, run.port,
                null, run.warnings, run.restartCount));
        publishObserved();
        processes.whenExits(process, code -> {
            if (current(run)) {
                apply(run, lifecycle.on(run.state, new RunSignal.PreludeExited(prelude.name() + " exited with code "
                        + code)));
            }
        });
        apply(run, lifecycle.on(run.state, new RunSignal.AwaitDependency(true, PRELUDE_POLL)));
    }

    private void pollPrelude(BackendRun run) {
        if (!current(run) || run.phase() != RunPhase.PREPARING) {
            return;
        }
        BackendLaunch.Prelude prelude = run.launch.prelude();
        boolean accepts = PortProbe.accepts(prelude.readyHost(), prelude.readyPort());
        if (accepts) {
            LOG.infof("%s of instance %s accepts connections on %s:%d", prelude.name(), run.name,
                    prelude.readyHost(), prelude.readyPort());
        }
        apply(run, lifecycle.on(run.state, new RunSignal.DependencyPolled(accepts)));
    }

    private void startBackend(BackendRun run) {
        BackendLaunch launch = run.launch;
        if (launch.proxied() && !openProxy(run)) {
            return;
        }
        Process process;
        try {
            BackendHosts.prepare(launch);
            process = processes.start(launch.command().args(), launch.environment(), run.logFile);
        } catch (IOException | RuntimeException e) {
            proxies.close(run.instanceId);
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed("cannot start "
                    + launch.command().args().get(0) + ": " + e.getMessage())));
            return;
        }
        allocatedPorts.add(run.port);
        run.handle = process.toHandle();
        run.pid = process.pid();
        RunLifecycle.Step started = lifecycle.on(run.state, new RunSignal.Launched());
        run.state = started.state();
        leftovers.recordBackend(run);
        LOG.infof("Starting instance %s (%s, %s) on port %d as pid %d: %s (version: %s)", run.name, run.instanceId,
                run.reason, run.port, run.pid, launch.command().redacted(), launch.version());
        observe(run, InstanceState.STARTING, run.warnings);
        processes.whenExits(process, code -> onExit(run, "backend exited with code " + code));
        apply(run, started);
    }

    /**
     * Opens the authenticating proxy on the run's port in front of its backend on loopback; on failure the run
     * fails (false).
     */
    private boolean openProxy(BackendRun run) {
        try {
            proxies.open(run.instanceId, settings.backendHost(), run.port, run.backendPort,
                    new BackendKeyCheck(settings.acceptedKeys(run.instanceId)));
            LOG.infof("Instance %s: the agent's authenticating proxy serves %s:%d for its backend on %s:%d",
                    run.name, settings.backendHost(), run.port, BackendProxy.LOOPBACK, run.backendPort);
            return true;
        } catch (RuntimeException e) {
            apply(run, lifecycle.on(run.state, new RunSignal.LaunchFailed(e.getMessage())));
            return false;
        }
    }

    private void onExit(BackendRun run, String exited) {
        if (!current(run)) {
            return;
        }
        RunLifecycle.Step step = lifecycle.on(run.state, new RunSignal.Exited(exited));
        boolean failsNow = step.decisions().stream().anyMatch(RunDecision.Fail.class::isInstance);
        if (failsNow) {
            cancelTask(run);
            release(run);
        }
        apply(run, step);
        if (failsNow) {
            reconcileSoon.run();
        }
    }

    private void cancelTask(BackendRun run) {
        if (run.task != null) {
            run.task.cancel(false);
        }
    }

    private void probe(BackendRun run) {
        if (!current(run) || (run.phase() != RunPhase.STARTING && run.phase() != RunPhase.RUNNING)) {
            return;
        }
        // straight to the backend: the proxy would want a key, and would answer for a backend that is gone
        healthProbe.probe(run.backendPort > 0 ? BackendProxy.LOOPBACK : probeHost,
                run.backendPort > 0 ? run.backendPort : run.port).whenComplete((result, failure) -> post(() -> {
            HealthProbe.Result answer = result != null ? result : new HealthProbe.Result(false,
                    String.valueOf(failure));
            if (current(run)) {
                apply(run, lifecycle.on(run.state, new RunSignal.ProbeAnswered(answer.healthy(), answer.detail())));
            }
        }));
    }

    /** Carries out what the {@link RunLifecycle} decided for a run. */
    private void apply(BackendRun run, RunLifecycle.Step step) {
        run.state = step.state();
        for (RunDecision decision : step.decisions()) {
            if (decision instanceof RunDecision.Probe probe) {
                run.task = schedule(() -> probe(run), probe.after());
            } else if (decision instanceof RunDecision.PollDependency poll) {
                run.task = schedule(() -> pollPrelude(run), poll.after());
            } else if (decision instanceof RunDecision.Launch) {
                startBackend(run);
            } else if (decision instanceof RunDecision.BecameReady) {
                LOG.infof("Instance %s is RUNNING on port %d", run.name, run.port);
                observe(run, InstanceState.RUNNING, run.warnings);
            } else if (decision instanceof RunDecision.StillHealthy) {
                usage.sampleIfDue(run, clock.instant(), settings.devices(), this::post, measured -> {
                    if (current(run) && run.phase() == RunPhase.RUNNING) {
                        run.reportedUsage = measured;
                        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.RUNNING,
                                null, run.port, run.pid, run.warnings, run.restartCount, measured));
                    }
                });
            } else if (decision instanceof RunDecision.Kill kill) {
                kill.failure().ifPresent(failure -> LOG.warnf("Instance %s: %s", run.name,
                        run.message(failure, settings.startTimeout())));
                stopProcesses(run);
            } else if (decision instanceof RunDecision.Fail fail) {
                fail(run, run.message(fail.failure(), settings.startTimeout()) + (fail.withLogTail()
                        ? "; last log lines:\n" + LogTail.of(run.logFile, run.logOffset) : ""));
            } else if (decision instanceof RunDecision.Forget) {
                runs.remove(run.instanceId);
                LOG.infof("Instance %s stopped; port %d is free", run.name, run.port);
                publishObserved();
            } else {
                throw new IllegalStateException(decision + " does not happen to a backend");
            }
        }
    }

    /** Stops the backend, then its prelude (vLLM would log errors about a Ray cluster that vanished under it). */
    private void stopProcesses(BackendRun run) {
        cancelTask(run);
        if (run.download != null) {
            run.download.cancel(false);
            run.download = null;
        }
        CompletableFuture<Void> backendStopped = run.handle == null ? CompletableFuture.completedFuture(null)
                : processes.stop(run.handle);
        ProcessHandle prelude = run.prelude;
        run.stopped = prelude == null ? backendStopped : backendStopped.handle((ignored, failure) -> null)
                .thenCompose(ignored -> processes.stop(prelude));
        run.stopped.whenComplete((ignored, failure) -> post(() -> onStopped(run)));
        publishObserved();
    }

    private void onStopped(BackendRun run) {
        release(run);
        if (closing || !current(run)) {
            return;
        }
        apply(run, lifecycle.on(run.state, new RunSignal.Stopped()));
        reconcileSoon.run();
    }

    private void fail(BackendRun run, String message) {
        runs.put(run.instanceId, run);
        int firstLineEnd = message.indexOf('\n');
        // the log tail stays out of the agent's log: the backend's own log has it
        LOG.warnf("Instance %s (%s) is in ERROR: %s", run.name, run.instanceId, firstLineEnd < 0 ? message
                : message.substring(0, firstLineEnd).replaceFirst("; last log lines:$", "") + " (see "
                + run.logFile + ")");
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.ERROR, null, null, null,
                message, run.restartCount));
        publishObserved();
    }

    /** Sends what the run is now, and lists it so in the heartbeat. */
    private void observe(BackendRun run, InstanceState state, String message) {
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), state, null, run.port, run.pid,
                message, run.restartCount));
        publishObserved();
    }

    private void release(BackendRun run) {
        proxies.close(run.instanceId);
        if (run.handle != null || run.prelude != null) {
            allocatedPorts.remove(run.port);
            leftovers.forgetBackend(run.instanceId);
            leftovers.forgetPrelude(run.instanceId);
        }
    }

    void publishObserved() {
        List<ObservedInstance> list = new ArrayList<>();
        runs.values().stream().sorted(Comparator.comparing(r -> r.instanceId))
                .forEach(run -> run.observed().ifPresent(list::add));
        observed = List.copyOf(list);
    }
}
