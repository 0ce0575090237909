package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.backend.HealthProbe;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.LocalPorts;
import dev.gpufleet.worker.backend.LogTail;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.backend.ProcessTree;
import dev.gpufleet.worker.download.ModelFiles;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs this worker's backends: applies the scheduler's instance events to an {@link InstanceTable}, lets the
 * {@link Reconciler} decide, and carries the decisions out: start a backend with its output in
 * {@code <data-dir>/logs/<instance-name>.log}, probe its health endpoint (STARTING until it answers 200 or the start
 * timeout passes, then every liveness interval while RUNNING), and stop process trees. Each change is reported
 * through the {@link ObservationSink}.
 *
 * <p>All state lives on one thread; process exits, probe answers and timers are posted to it, so no lock is
 * needed and events are handled in the order they happened.
 */
public final class BackendSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackendSupervisor.class);
    static final String LOG_DIR = "logs";
    /** {@code <instanceId>.pid}: each running backend as a {@link Leftover} line, to adopt or stop it after a crash. */
    static final String PID_DIR = "backends";
    /** {@code <instanceId>.prelude.pid}: a backend's {@link BackendLaunch.Prelude}, stopped after a crash. */
    static final String PRELUDE_PID_SUFFIX = ".prelude.pid";
    private static final Duration PRELUDE_POLL = Duration.ofMillis(200);
    static final int FAILED_PROBES_TO_KILL = 3;
    private static final Duration FIRST_PROBE = Duration.ofMillis(250);
    private static final Duration SLOWEST_STARTING_PROBE = Duration.ofSeconds(2);
    /** How often a RUNNING backend's memory is measured (the first time at its first liveness probe). */
    static final Duration USAGE_INTERVAL = Duration.ofSeconds(30);
    /** Lets the burst of events of the topic read from its beginning at start land before the first decision. */
    private static final Duration FIRST_RECONCILE_DELAY = Duration.ofMillis(100);

    private final SupervisorSettings settings;
    private final ObservationSink sink;
    private final Clock clock;
    private final StepThread steps;
    private final HealthProbe healthProbe;
    /** Measuring runs nvidia-smi (up to seconds): its own thread, so it delays neither steps nor KILLs. */
    private final java.util.concurrent.ExecutorService usageThread =
            java.util.concurrent.Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "gpufleet-usage");
                thread.setDaemon(true);
                return thread;
            });
    private final UsageSampler usageSampler = UsageSampler.forThisHost(
            dev.gpufleet.worker.devices.ProcessCommandRunner.onAgentPath());
    private final String probeHost;
    private final PortRange portRange;
    private final String portRangeProblem;
    private final ModelFiles modelFiles;
    /** The RPC servers this worker lends to distributed instances whose main backend runs elsewhere. */
    private final SubordinateServers subordinates;

    private final InstanceTable table = new InstanceTable();
    private final Map<String, Run> runs = new HashMap<>();
    private final Set<Integer> allocatedPorts = new HashSet<>();
    private boolean reconcileScheduled;
    private boolean reconciledOnce;
    private boolean closing;
    /** Backends an earlier run of this agent left running, by instance id, until adopted or stopped. */
    private final Map<String, Leftover> leftovers = new HashMap<>();
    private boolean heardFromScheduler;
    private boolean adoptionGraceOver;
    private volatile List<ObservedInstance> observed = List.of();

    /** One attempt at running an instance's backend. Touched only on the supervisor thread. */
    private static final class Run {
        final String instanceId;
        final String name;
        final int restartCount;
        Held.Phase phase = Held.Phase.STARTING;
        int port;
        long pid;
        ProcessHandle handle;
        Path logFile;
        long logOffset;
        Instant deadline;
        Duration startingProbeDelay = FIRST_PROBE;
        int failedProbes;
        String warnings;
        /** set when the agent kills the backend because it failed: the ERROR message to report once it is gone */
        String failure;
        ScheduledFuture<?> probeTask;
        CompletableFuture<Void> stopped;
        /** the model's files on their way (phase STARTING, no process yet); null once they are here */
        CompletableFuture<ModelFiles.Prepared> download;

        /** the process started before the backend and living beside it (the Ray head); null for most backends */
        ProcessHandle prelude;
        long preludePid;
        /** taken over from an earlier run of the agent: not its child, so its exit code is unknown */
        boolean adopted;
        List<Integer> gpuIndexes = List.of();
        /** when the memory its processes hold is measured next (RUNNING only), and what was last reported */
        Instant nextUsageSample;
        ResourceClaim reportedUsage;

        Run(InstanceChanged instance) {
            this(instance.instanceId(), instance.name() == null ? instance.instanceId() : instance.name(),
                    instance.restartCount());
        }

        Run(String instanceId, String name, int restartCount) {
            this.instanceId = instanceId;
            this.name = name;
            this.restartCount = restartCount;
        }

        Held held() {
            return new Held(instanceId, phase, restartCount);
        }
    }

    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock) {
        this(settings, sink, clock, ModelFiles.LOCAL_ONLY);
    }

    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock, ModelFiles modelFiles) {
        this.settings = settings;
        this.modelFiles = modelFiles;
        this.sink = sink;
        this.clock = clock;
        this.steps = new StepThread("gpufleet-supervisor", "gpufleet-backend-kill", LOG, "Supervisor step failed");
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
        this.subordinates = new SubordinateServers(settings, sink, clock);
    }

    /**
     * Finds the backends an earlier run of this agent left behind (it crashed or was killed): those the scheduler
     * still wants here are adopted, the rest stopped (see {@link Adoption}).
     */
    public void start() {
        subordinates.start();
        post(this::loadLeftovers);
    }

    public void accept(Envelope<? extends EventPayload> envelope) {
        post(() -> {
            heardFromScheduler();
            if (table.apply(envelope) == InstanceTable.Outcome.APPLIED) {
                scheduleReconcile();
            }
        });
    }

    public void tombstone(String instanceId) {
        post(() -> {
            heardFromScheduler();
            if (table.tombstone(instanceId) == InstanceTable.Outcome.APPLIED) {
                scheduleReconcile();
            }
        });
    }

    /** What this agent runs (or failed to run), for the heartbeat. */
    public List<ObservedInstance> observed() {
        return observed;
    }

    /**
     * The log of an instance this worker knows (by id or name): where it is and when its writer ends.
     *
     * @return empty when the scheduler has no such instance on this worker and nothing of it runs here
     */
    public Optional<LogSource> logSource(String instance) {
        CompletableFuture<Optional<LogSource>> found = new CompletableFuture<>();
        post(() -> found.complete(findLogSource(instance)));
        try {
            return found.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the supervisor did not answer: " + e, e);
        }
    }

    private Optional<LogSource> findLogSource(String wanted) {
        Run run = runs.get(wanted);
        if (run == null) {
            run = runs.values().stream().filter(r -> r.name.equals(wanted)).findFirst().orElse(null);
        }
        InstanceChanged instance = table.current(run != null ? run.instanceId : wanted).orElse(null);
        if (instance == null && run == null) {
            instance = table.live().values().stream().filter(i -> wanted.equals(i.name())).findFirst().orElse(null);
        }
        if (instance == null && run == null) {
            return Optional.empty();
        }
        if (run == null) {
            run = runs.get(instance.instanceId());
        }
        String id = run != null ? run.instanceId : instance.instanceId();
        String name = run != null ? run.name : instance.name() == null ? id : instance.name();
        boolean alive = run != null && run.handle != null && run.handle.isAlive();
        CompletableFuture<Void> ended = alive ? run.handle.onExit().thenApply(ignored -> null)
                : CompletableFuture.completedFuture(null);
        return Optional.of(new LogSource(id, name, settings.dataDir().resolve(LOG_DIR).resolve(logFileName(name, id)),
                ended));
    }

    /** Stops every backend this agent started and waits for them (at most the stop timeout and a little). */
    @Override
    public void close() {
        if (steps.isShutdown()) {
            return;
        }
        subordinates.close();
        CompletableFuture<Void> allStopped = new CompletableFuture<>();
        post(() -> {
            closing = true;
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            for (Leftover leftover : leftovers.values()) {
                leftover.process().ifPresent(process -> stops.add(
                        ProcessTree.stop(process, settings.stopTimeout(), steps.killTimer())));
                deletePidFile(leftover.instanceId());
            }
            leftovers.clear();
            for (Run run : runs.values()) {
                if (run.phase == Held.Phase.STARTING || run.phase == Held.Phase.RUNNING) {
                    LOG.infof("Stopping instance %s: the agent is shutting down", run.name);
                    stopProcess(run);
                }
                if (run.stopped != null) {
                    stops.add(run.stopped);
                }
            }
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, failure) -> allStopped.complete(null));
        });
        try {
            allStopped.get(settings.stopTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf("Not every backend was confirmed stopped: %s", e.toString());
        }
        steps.shutdown();
        usageThread.shutdownNow();
        for (Run run : runs.values()) {
            if (run.handle != null && !run.handle.isAlive()) {
                deletePidFile(run);
            }
            if (run.prelude != null && !run.prelude.isAlive()) {
                deletePidFile(settings.dataDir().resolve(PID_DIR).resolve(preludePidFileName(run.instanceId)));
            }
        }
    }

    /**
     * What a crash of the agent does, for tests: supervision ends at once, backends keep running and their pid files
     * stay for the next agent.
     */
    void abandon() {
        subordinates.abandon();
        steps.shutdown();
        usageThread.shutdownNow();
    }

    private void post(Runnable task) {
        steps.post(task);
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return steps.schedule(task, delay);
    }

    private void scheduleReconcile() {
        if (reconcileScheduled || closing) {
            return;
        }
        reconcileScheduled = true;
        // later events come one by one: decide at once (events already queued are still applied first), so a
        // placement's backend starts within milliseconds (bench/agent)
        Duration delay = reconciledOnce ? Duration.ZERO : FIRST_RECONCILE_DELAY;
        reconciledOnce = true;
        schedule(() -> {
            reconcileScheduled = false;
            reconcile();
        }, delay);
    }

    private void reconcile() {
        if (closing) {
            return;
        }
        settleLeftovers();
        List<Held> held = runs.values().stream().map(Run::held).toList();
        for (Action action : Reconciler.decide(settings.workerId(), table.live(), held)) {
            switch (action.kind()) {
                case START:
                    start(action.instance(), action.reason());
                    break;
                case STOP:
                    Run run = runs.get(action.instanceId());
                    LOG.infof("Stopping instance %s: %s", run.name, action.reason());
                    run.failure = null;
                    stopProcess(run);
                    break;
                case FORGET:
                    runs.remove(action.instanceId());
                    break;
                default:
                    throw new IllegalStateException("unknown action " + action.kind());
            }
        }
        publishObserved();
        subordinates.update(table.live());
    }

    private void start(InstanceChanged instance, String reason) {
        runs.remove(instance.instanceId());
        Run run = new Run(instance);
        run.gpuIndexes = instance.gpuIndexes();
        runs.put(run.instanceId, run);
        if (instance.launchPlan() != null && modelFiles.needsDownload(instance.launchPlan().source())) {
            download(run, instance, reason);
            return;
        }
        launch(run, instance, reason);
    }

    private void download(Run run, InstanceChanged instance, String reason) {
        LOG.infof("Instance %s (%s): downloading its model before it starts", run.name, run.instanceId);
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.DOWNLOADING, 0.0, null,
                null, null, run.restartCount));
        run.download = modelFiles.prepare(run.name, instance.launchPlan().source(), progress -> post(() -> {
            if (runs.get(run.instanceId) == run && run.download != null && run.phase == Held.Phase.STARTING) {
                sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.DOWNLOADING,
                        progress, null, null, null, run.restartCount));
            }
        }));
        run.download.whenComplete((prepared, failure) -> post(() -> {
            if (runs.get(run.instanceId) != run || run.phase != Held.Phase.STARTING || run.download == null) {
                return;
            }
            run.download = null;
            if (failure != null) {
                fail(run, "model download failed: " + (failure.getCause() != null
                        && failure instanceof java.util.concurrent.CompletionException
                        ? failure.getCause().getMessage() : failure.getMessage()));
            } else {
                launch(run, ModelFiles.withLocalFiles(instance, prepared), reason);
            }
            publishObserved();
        }));
    }

    private void launch(Run run, InstanceChanged instance, String reason) {
        BackendLaunch launch = LaunchPlanner.plan(instance, BackendHosts.of(settings, () -> portRange
                .pick(allocatedPorts, port -> LocalPorts.inUse(settings.backendHost(), port)), portRangeProblem));
        if (!launch.ready()) {
            fail(run, launch.problem());
            return;
        }
        run.port = launch.port();
        run.warnings = launch.warnings().isEmpty() ? null : "warning: " + String.join("; ", launch.warnings());
        try {
            run.logFile = logFile(instance);
            Files.writeString(run.logFile, "=== " + clock.instant() + " gpufleet: starting instance " + run.name
                    + " (restart " + run.restartCount + ") on port " + run.port + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            run.logOffset = Files.size(run.logFile);
        } catch (IOException | RuntimeException e) {
            fail(run, "cannot write the log of instance " + run.name + ": " + e.getMessage());
            return;
        }
        if (launch.prelude() != null) {
            startPrelude(run, launch, reason);
        } else {
            startBackend(run, launch, reason);
        }
    }

    /** Starts the launch's prelude, then the backend once the prelude accepts connections (see {@link Preludes}). */
    private void startPrelude(Run run, BackendLaunch launch, String reason) {
        BackendLaunch.Prelude prelude = launch.prelude();
        Process process;
        try {
            process = Preludes.start(prelude, run.logFile, clock);
        } catch (IOException | RuntimeException e) {
            fail(run, "cannot start " + prelude.name() + " (" + prelude.command().args().get(0) + "): "
                    + e.getMessage());
            return;
        }
        allocatedPorts.add(run.port);
        run.prelude = process.toHandle();
        run.preludePid = process.pid();
        run.deadline = clock.instant().plus(settings.startTimeout());
        Preludes.writePidFile(settings.dataDir().resolve(PID_DIR).resolve(preludePidFileName(run.instanceId)),
                new Leftover(run.preludePid, startMillis(run.prelude), run.port, run.restartCount, run.logOffset,
                        run.instanceId));
        LOG.infof("Starting %s of instance %s (%s) as pid %d: %s", prelude.name(), run.name, run.instanceId,
                run.preludePid, prelude.command().redacted());
        // STARTING at once, without a pid: the backend's comes when it starts
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.STARTING, null, run.port,
                null, run.warnings, run.restartCount));
        process.onExit().whenComplete((exited, failure) -> post(() -> {
            if (runs.get(run.instanceId) == run
                    && (run.phase == Held.Phase.STARTING || run.phase == Held.Phase.RUNNING)) {
                killForError(run, prelude.name() + " exited with code " + process.exitValue());
            }
        }));
        run.probeTask = schedule(() -> awaitPrelude(run, launch, reason), PRELUDE_POLL);
    }

    private void awaitPrelude(Run run, BackendLaunch launch, String reason) {
        if (runs.get(run.instanceId) != run || run.phase != Held.Phase.STARTING || run.handle != null) {
            return;
        }
        BackendLaunch.Prelude prelude = launch.prelude();
        if (Preludes.accepts(prelude.readyHost(), prelude.readyPort())) {
            LOG.infof("%s of instance %s accepts connections on %s:%d", prelude.name(), run.name,
                    prelude.readyHost(), prelude.readyPort());
            startBackend(run, launch, reason);
        } else if (!clock.instant().isBefore(run.deadline)) {
            killForError(run, prelude.name() + " did not accept connections on " + prelude.readyHost() + ":"
                    + prelude.readyPort() + " within " + seconds(settings.startTimeout())
                    + " (gpufleet.worker.start-timeout); it was killed");
        } else {
            run.probeTask = schedule(() -> awaitPrelude(run, launch, reason), PRELUDE_POLL);
        }
    }

    private void startBackend(Run run, BackendLaunch launch, String reason) {
        Process process;
        try {
            BackendHosts.writeFiles(launch.files());
            ProcessBuilder builder = new ProcessBuilder(launch.command().args())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(run.logFile.toFile()));
            builder.environment().putAll(launch.environment());
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException | RuntimeException e) {
            String failure = "cannot start " + launch.command().args().get(0) + ": " + e.getMessage();
            if (run.prelude != null) {
                killForError(run, failure);
            } else {
                fail(run, failure);
            }
            return;
        }
        allocatedPorts.add(run.port);
        run.handle = process.toHandle();
        run.pid = process.pid();
        run.deadline = clock.instant().plus(settings.startTimeout());
        writePidFile(run);
        LOG.infof("Starting instance %s (%s, %s) on port %d as pid %d: %s (version: %s)", run.name, run.instanceId,
                reason, run.port, run.pid, launch.command().redacted(), launch.version());
        observe(run, InstanceState.STARTING, run.warnings);
        process.onExit().whenComplete((exited, failure) -> post(() -> onExit(run,
                "backend exited with code " + process.exitValue())));
        scheduleProbe(run, run.startingProbeDelay);
    }

    private void onExit(Run run, String exited) {
        if (runs.get(run.instanceId) != run
                || (run.phase != Held.Phase.STARTING && run.phase != Held.Phase.RUNNING)) {
            return;
        }
        if (run.prelude != null) {
            killForError(run, exited); // its prelude goes with it
            return;
        }
        cancelProbe(run);
        release(run);
        fail(run, exited + "; last log lines:\n"
                + LogTail.of(run.logFile, run.logOffset));
        scheduleReconcile();
    }

    private void scheduleProbe(Run run, Duration delay) {
        run.probeTask = schedule(() -> probe(run), delay);
    }

    private void cancelProbe(Run run) {
        if (run.probeTask != null) {
            run.probeTask.cancel(false);
        }
    }

    private boolean probing(Run run) {
        return runs.get(run.instanceId) == run
                && (run.phase == Held.Phase.STARTING || run.phase == Held.Phase.RUNNING);
    }

    private void probe(Run run) {
        if (!probing(run)) {
            return;
        }
        healthProbe.probe(probeHost, run.port).whenComplete((result, failure) -> post(() -> onProbe(run,
                result != null ? result : new HealthProbe.Result(false, String.valueOf(failure)))));
    }

    private void onProbe(Run run, HealthProbe.Result result) {
        if (!probing(run)) {
            return;
        }
        if (run.phase == Held.Phase.STARTING) {
            if (result.healthy()) {
                run.phase = Held.Phase.RUNNING;
                LOG.infof("Instance %s is RUNNING on port %d", run.name, run.port);
                observe(run, InstanceState.RUNNING, run.warnings);
                publishObserved();
                scheduleProbe(run, settings.livenessInterval());
            } else if (!clock.instant().isBefore(run.deadline)) {
                killForError(run, "backend did not answer GET /health with 200 within "
                        + seconds(settings.startTimeout()) + " (gpufleet.worker.start-timeout; last probe: "
                        + result.detail() + "); it was killed");
            } else {
                Duration delay = run.startingProbeDelay;
                run.startingProbeDelay = min(delay.multipliedBy(2), SLOWEST_STARTING_PROBE);
                scheduleProbe(run, delay);
            }
            return;
        }
        if (result.healthy()) {
            run.failedProbes = 0;
            sampleUsageIfDue(run);
        } else if (++run.failedProbes >= FAILED_PROBES_TO_KILL) {
            killForError(run, "backend stopped answering GET /health: " + FAILED_PROBES_TO_KILL
                    + " probes in a row failed (last: " + result.detail() + "); it was killed");
            return;
        }
        scheduleProbe(run, settings.livenessInterval());
    }

    private void killForError(Run run, String failure) {
        LOG.warnf("Instance %s: %s", run.name, failure);
        run.failure = failure;
        stopProcess(run);
    }

    private void stopProcess(Run run) {
        run.phase = Held.Phase.STOPPING;
        cancelProbe(run);
        if (run.download != null) {
            run.download.cancel(false);
            run.download = null;
        }
        CompletableFuture<Void> backendStopped = run.handle == null ? CompletableFuture.completedFuture(null)
                : ProcessTree.stop(run.handle, settings.stopTimeout(), steps.killTimer());
        ProcessHandle prelude = run.prelude;
        // the backend first: vLLM would log errors about a Ray cluster that vanished under it
        run.stopped = prelude == null ? backendStopped : backendStopped.handle((ignored, failure) -> null)
                .thenCompose(ignored -> ProcessTree.stop(prelude, settings.stopTimeout(), steps.killTimer()));
        run.stopped.whenComplete((ignored, failure) -> post(() -> onStopped(run)));
        publishObserved();
    }

    private void onStopped(Run run) {
        release(run);
        if (closing || runs.get(run.instanceId) != run) {
            return;
        }
        if (run.failure != null) {
            fail(run, run.failure + "; last log lines:\n" + LogTail.of(run.logFile, run.logOffset));
        } else {
            runs.remove(run.instanceId);
            LOG.infof("Instance %s stopped; port %d is free", run.name, run.port);
            publishObserved();
        }
        scheduleReconcile();
    }

    private void fail(Run run, String message) {
        run.phase = Held.Phase.FAILED;
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

    /**
     * Measures what the backend's processes hold (off this thread: nvidia-smi takes a while) and reports it with a
     * RUNNING observation when it changed by more than 1 %, so the scheduler can keep the peak per GPU product.
     */
    private void sampleUsageIfDue(Run run) {
        Instant now = clock.instant();
        if (run.handle == null || (run.nextUsageSample != null && now.isBefore(run.nextUsageSample))) {
            return;
        }
        run.nextUsageSample = now.plus(USAGE_INTERVAL);
        ProcessHandle handle = run.handle;
        List<Integer> gpus = run.gpuIndexes;
        CompletableFuture.supplyAsync(() -> usageSampler.sample(handle, settings.devices().get(), gpus),
                        usageThread)
                .whenComplete((usage, failure) -> post(() -> {
                    if (usage == null || runs.get(run.instanceId) != run || run.phase != Held.Phase.RUNNING
                            || !changed(run.reportedUsage, usage)) {
                        return;
                    }
                    run.reportedUsage = usage;
                    sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), InstanceState.RUNNING,
                            null, run.port, run.pid, run.warnings, run.restartCount, usage));
                }));
    }

    static boolean changed(ResourceClaim before, ResourceClaim now) {
        if (before == null) {
            return true;
        }
        if (!before.vramBytesByGpu().keySet().equals(now.vramBytesByGpu().keySet())) {
            return true;
        }
        if (moreThanOnePercent(before.ramBytes(), now.ramBytes())) {
            return true;
        }
        return now.vramBytesByGpu().entrySet().stream()
                .anyMatch(e -> moreThanOnePercent(before.vramBytesByGpu().get(e.getKey()), e.getValue()));
    }

    private static boolean moreThanOnePercent(long before, long now) {
        return Math.abs(now - before) * 100 > Math.max(before, 1);
    }

    private void observe(Run run, InstanceState state, String message) {
        sink.publish(new InstanceObserved(run.instanceId, settings.workerId(), state, null, run.port, run.pid,
                message, run.restartCount));
    }

    private void release(Run run) {
        if (run.handle != null || run.prelude != null) {
            allocatedPorts.remove(run.port);
            deletePidFile(run);
            deletePidFile(settings.dataDir().resolve(PID_DIR).resolve(preludePidFileName(run.instanceId)));
        }
    }

    private void publishObserved() {
        List<ObservedInstance> list = new ArrayList<>();
        runs.values().stream().sorted(Comparator.comparing(r -> r.instanceId)).forEach(run -> {
            switch (run.phase) {
                case STARTING:
                    list.add(new ObservedInstance(run.instanceId, run.download != null ? InstanceState.DOWNLOADING
                            : InstanceState.STARTING));
                    break;
                case RUNNING:
                    list.add(new ObservedInstance(run.instanceId, InstanceState.RUNNING));
                    break;
                case FAILED:
                    list.add(new ObservedInstance(run.instanceId, InstanceState.ERROR));
                    break;
                default:
                    if (run.failure != null) {
                        list.add(new ObservedInstance(run.instanceId, InstanceState.ERROR));
                    }
            }
        });
        observed = List.copyOf(list);
    }

    private Path logFile(InstanceChanged instance) throws IOException {
        Path dir = settings.dataDir().resolve(LOG_DIR);
        Files.createDirectories(dir);
        return dir.resolve(logFileName(instance.name(), instance.instanceId()));
    }

    static String logFileName(String instanceName, String instanceId) {
        String safe = instanceName == null ? "" : instanceName.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.isBlank() || safe.startsWith(".")) {
            safe = instanceId.replaceAll("[^A-Za-z0-9._-]", "_");
        }
        return safe + ".log";
    }

    private static boolean readableFile(Path path) {
        return Files.isRegularFile(path) && Files.isReadable(path);
    }

    private void writePidFile(Run run) {
        try {
            Path dir = settings.dataDir().resolve(PID_DIR);
            Files.createDirectories(dir);
            long started = run.handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
            Files.writeString(dir.resolve(pidFileName(run.instanceId)), new Leftover(run.pid, started, run.port,
                    run.restartCount, run.logOffset, run.instanceId).line());
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d of instance %s (a crash of the agent would leave it running): %s",
                    run.pid, run.name, e.toString());
        }
    }

    private void deletePidFile(Run run) {
        deletePidFile(run.instanceId);
    }

    private void deletePidFile(String instanceId) {
        deletePidFile(settings.dataDir().resolve(PID_DIR).resolve(pidFileName(instanceId)));
    }

    private static void deletePidFile(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debugf("Cannot delete the pid file %s: %s", file, e);
        }
    }

    private static String pidFileName(String instanceId) {
        return instanceId.replaceAll("[^A-Za-z0-9._-]", "_") + ".pid";
    }

    static String preludePidFileName(String instanceId) {
        return instanceId.replaceAll("[^A-Za-z0-9._-]", "_") + PRELUDE_PID_SUFFIX;
    }

    private static long startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    private void loadLeftovers() {
        Path dir = settings.dataDir().resolve(PID_DIR);
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        Set<String> withPrelude = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path file : files) {
                Optional<Leftover> found = readPidFile(file);
                Optional<ProcessHandle> process = found.flatMap(Leftover::process);
                if (file.getFileName().toString().endsWith(PRELUDE_PID_SUFFIX)) {
                    // a backend and its prelude (vLLM and its Ray head) are not adopted: both stop, the
                    // Reconciler starts the instance anew
                    found.map(Leftover::instanceId).ifPresent(withPrelude::add);
                    process.ifPresent(p -> {
                        LOG.infof("Stopping pid %d, the Ray head of instance %s left running by an earlier run of "
                                + "this agent: it and its backend start anew", p.pid(), found.get().instanceId());
                        stops.add(ProcessTree.stop(p, settings.stopTimeout(), steps.killTimer()));
                    });
                    Files.deleteIfExists(file);
                } else if (process.isEmpty()) {
                    Files.deleteIfExists(file); // its process is gone, or the pid now belongs to another one
                } else if (!found.get().adoptable()
                        || !file.getFileName().toString().equals(pidFileName(found.get().instanceId()))) {
                    LOG.warnf("Stopping backend pid %d left running by an earlier run of this agent (%s): its pid "
                            + "file does not say which instance and port it serves", process.get().pid(),
                            file.getFileName());
                    stops.add(ProcessTree.stop(process.get(), settings.stopTimeout(), steps.killTimer()));
                    Files.deleteIfExists(file);
                } else {
                    Leftover leftover = found.get();
                    LOG.infof("Found backend pid %d of instance %s (restart %d, port %d) left running by an earlier "
                            + "run of this agent; it is adopted if the scheduler still wants it here",
                            leftover.pid(), leftover.instanceId(), leftover.restartCount(), leftover.port());
                    leftovers.put(leftover.instanceId(), leftover);
                    allocatedPorts.add(leftover.port());
                }
            }
        } catch (IOException e) {
            LOG.warnf("Cannot look for backends left by an earlier run in %s: %s", dir, e.toString());
        }
        for (String instanceId : withPrelude) {
            Leftover leftover = leftovers.remove(instanceId);
            if (leftover != null) {
                LOG.infof("Stopping backend pid %d of instance %s after all: its Ray head was left running too, and "
                        + "both start anew", leftover.pid(), instanceId);
                allocatedPorts.remove(leftover.port());
                leftover.process().ifPresent(p -> stops.add(ProcessTree.stop(p, settings.stopTimeout(),
                        steps.killTimer())));
                deletePidFile(instanceId);
            }
        }
        if (!stops.isEmpty()) {
            // the starts queued behind this task must not race the leftovers for their ports
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        }
    }

    private static Optional<Leftover> readPidFile(Path file) {
        try {
            return Leftover.parse(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The grace for the scheduler to claim leftovers starts with its first word: a broker away kills nothing. */
    private void heardFromScheduler() {
        if (heardFromScheduler) {
            return;
        }
        heardFromScheduler = true;
        if (!leftovers.isEmpty()) {
            schedule(() -> {
                adoptionGraceOver = true;
                scheduleReconcile();
            }, settings.adoptionGrace());
        }
    }

    /** Adopts or stops each leftover the scheduler has decided about; runs before the {@link Reconciler}. */
    private void settleLeftovers() {
        Map<String, InstanceChanged> live = leftovers.isEmpty() ? Map.of() : table.live();
        for (Leftover leftover : List.copyOf(leftovers.values())) {
            Adoption.Verdict verdict = Adoption.decide(settings.workerId(), live, leftover, adoptionGraceOver);
            Optional<ProcessHandle> process = leftover.process();
            if (verdict.kind() == Adoption.Kind.WAIT && process.isPresent()) {
                continue;
            }
            leftovers.remove(leftover.instanceId());
            if (process.isEmpty()) {
                // it ended while waiting: the Reconciler starts it anew if it is wanted
                allocatedPorts.remove(leftover.port());
                deletePidFile(leftover.instanceId());
                continue;
            }
            InstanceChanged instance = live.get(leftover.instanceId());
            Run run = instance != null ? new Run(instance) : new Run(leftover.instanceId(), leftover.instanceId(),
                    leftover.restartCount());
            run.adopted = true;
            run.port = leftover.port();
            run.pid = leftover.pid();
            run.logOffset = leftover.logOffset();
            run.handle = process.get();
            run.logFile = settings.dataDir().resolve(LOG_DIR).resolve(logFileName(run.name, run.instanceId));
            if (verdict.kind() == Adoption.Kind.STOP) {
                LOG.infof("Stopping backend pid %d of instance %s left by an earlier run of this agent: %s",
                        run.pid, run.name, verdict.reason());
                runs.put(run.instanceId, run);
                stopProcess(run);
                continue;
            }
            LOG.infof("Adopting backend pid %d of instance %s on port %d: %s; RUNNING once it answers GET /health",
                    run.pid, run.name, run.port, verdict.reason());
            runs.put(run.instanceId, run);
            run.deadline = clock.instant().plus(settings.startTimeout());
            run.handle.onExit().whenComplete((exited, failure) -> post(() -> onExit(run,
                    "backend exited (it was adopted from an earlier run of the agent, so its exit code is unknown)")));
            scheduleProbe(run, Duration.ZERO);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String seconds(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
}
