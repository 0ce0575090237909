package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.worker.backend.LaunchGuard;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.worker.download.ModelFiles;
import dev.gpufleet.worker.lifecycle.RunLifecycle;
import dev.gpufleet.worker.processes.PidFiles;
import dev.gpufleet.worker.processes.ProcessRunner;
import dev.gpufleet.worker.processes.StepThread;
import dev.gpufleet.worker.proxy.BackendProxies;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs this worker's backends: applies the scheduler's instance events to an {@link InstanceTable}, lets the
 * {@link Reconciler} decide, and carries the decisions out: start a backend with its output in
 * {@code <data-dir>/logs/<instance-name>.log}, probe its health endpoint (STARTING until it answers 200 or the start
 * timeout passes, then every liveness interval while RUNNING; {@link RunLifecycle} decides what each answer, exit
 * and stop means), and stop process trees. Each change is reported through the {@link ObservationSink}.
 *
 * <p>All state lives on one thread; process exits, probe answers and timers are posted to it, so no lock is
 * needed and events are handled in the order they happened.
 */
public final class BackendSupervisor implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackendSupervisor.class);
    static final String LOG_DIR = "logs";
    /** Lets the burst of events of the topic read from its beginning at start land before the first decision. */
    private static final Duration FIRST_RECONCILE_DELAY = Duration.ofMillis(100);

    private final SupervisorSettings settings;
    private final StepThread steps;
    private final BackendLeftovers leftovers;
    private final BackendRuns runs;
    /** The RPC servers this worker lends to distributed instances whose main backend runs elsewhere. */
    private final SubordinateServers subordinates;
    private final BackendProxies proxies;

    private final InstanceTable table;
    private boolean reconcileScheduled;
    private boolean reconciledOnce;
    private boolean closing;
    private boolean heardFromScheduler;
    private boolean adoptionGraceOver;

    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock) {
        this(settings, sink, clock, ModelFiles.LOCAL_ONLY);
    }

    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock, ModelFiles modelFiles) {
        this(settings, sink, clock, modelFiles, LaunchGuard.ENVIRONMENT_ONLY);
    }

    /** @param guard what of a launch plan this worker refuses (env names, model paths outside its roots) */
    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock, ModelFiles modelFiles,
                             LaunchGuard guard) {
        this(settings, sink, clock, modelFiles, guard, new BackendProxies(null));
    }

    /** @param proxies the authenticating proxies of backends that cannot check a key; closed with the supervisor */
    public BackendSupervisor(SupervisorSettings settings, ObservationSink sink, Clock clock, ModelFiles modelFiles,
                             LaunchGuard guard, BackendProxies proxies) {
        this.settings = settings;
        this.proxies = proxies;
        this.table = new InstanceTable(clock);
        this.steps = new StepThread("gpufleet-supervisor", "gpufleet-backend-kill", LOG, "Supervisor step failed");
        ProcessRunner processes = new ProcessRunner(steps, clock, settings.stopTimeout());
        this.leftovers = new BackendLeftovers(settings.dataDir(), processes);
        this.runs = new BackendRuns(settings, sink, clock, steps, processes, modelFiles, leftovers,
                this::scheduleReconcile, guard, proxies);
        this.subordinates = new SubordinateServers(settings, sink, clock);
    }

    /**
     * Finds the backends an earlier run of this agent left behind (it crashed or was killed): those the scheduler
     * still wants here are adopted, the rest stopped (see {@link Adoption}).
     */
    public void start() {
        subordinates.start();
        post(() -> {
            leftovers.load();
            runs.reserve(leftovers.ports());
        });
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
        return runs.observed();
    }

    /** The model source of each instance the scheduler placed on this worker, by instance id. */
    public Map<String, ModelSource> modelSources() {
        CompletableFuture<Map<String, ModelSource>> found = new CompletableFuture<>();
        post(() -> {
            Map<String, ModelSource> sources = new HashMap<>();
            table.live().forEach((id, instance) -> {
                if (settings.workerId().equals(instance.workerId()) && instance.launchPlan() != null
                        && instance.launchPlan().source() != null) {
                    sources.put(id, instance.launchPlan().source());
                }
            });
            found.complete(sources);
        });
        try {
            return found.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the supervisor did not answer: " + e, e);
        }
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
        BackendRun run = runs.find(wanted).orElse(null);
        InstanceChanged instance = table.current(run != null ? run.instanceId : wanted).orElse(null);
        if (instance == null && run == null) {
            instance = table.live().values().stream().filter(i -> wanted.equals(i.name())).findFirst().orElse(null);
        }
        if (instance == null && run == null) {
            return Optional.empty();
        }
        if (run == null) {
            run = runs.get(instance.instanceId()).orElse(null);
        }
        String id = run != null ? run.instanceId : instance.instanceId();
        String name = run != null ? run.name : instance.name() == null ? id : instance.name();
        boolean alive = run != null && run.handle != null && run.handle.isAlive();
        CompletableFuture<Void> ended = alive ? run.handle.onExit().thenApply(ignored -> null)
                : CompletableFuture.completedFuture(null);
        return Optional.of(new LogSource(id, name, logFile(settings.dataDir(), name, id), ended));
    }

    /** Stops every backend this agent started and waits for them (at most the stop timeout and a little). */
    @Override
    public void close() {
        if (steps.isShutdown()) {
            return;
        }
        subordinates.close();
        Optional<Exception> notConfirmed = steps.shutdownAfter(() -> {
            closing = true;
            List<CompletableFuture<Void>> stops = new ArrayList<>(leftovers.stopAll());
            stops.addAll(runs.stopAll());
            return stops;
        }, settings.stopTimeout().plusSeconds(5));
        notConfirmed.ifPresent(e -> LOG.warnf("Not every backend was confirmed stopped: %s", e.toString()));
        runs.closed();
        proxies.close();
    }

    /**
     * What a crash of the agent does, for tests: supervision ends at once, backends keep running and their pid files
     * stay for the next agent.
     */
    void abandon() {
        subordinates.abandon();
        steps.shutdown();
        runs.abandon();
        proxies.close();
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
        Map<String, InstanceChanged> live = new HashMap<>(table.live());
        live.keySet().removeAll(leftovers.undecided()); // its leftover runs it until adopted or stopped
        for (Action action : Reconciler.decide(settings.workerId(), live, runs.held())) {
            switch (action.kind()) {
                case START -> runs.start(action.instance(), action.reason());
                case STOP -> runs.stop(action.instanceId(), action.reason());
                case FORGET -> runs.forget(action.instanceId());
            }
        }
        runs.publishObserved();
        subordinates.update(table.live());
    }

    static Path logFile(Path dataDir, String instanceName, String instanceId) {
        return dataDir.resolve(LOG_DIR).resolve(logFileName(instanceName, instanceId));
    }

    static String logFileName(String instanceName, String instanceId) {
        String safe = instanceName == null ? "" : PidFiles.safeName(instanceName);
        if (safe.isBlank() || safe.startsWith(".")) {
            safe = PidFiles.safeName(instanceId);
        }
        return safe + ".log";
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
        if (leftovers.isEmpty()) {
            return;
        }
        Map<String, InstanceChanged> live = table.live();
        for (BackendLeftovers.Settled settled : leftovers.settle(settings.workerId(), live, adoptionGraceOver)) {
            if (settled.process().isEmpty()) {
                // it ended while waiting: the Reconciler starts it anew if it is wanted
                runs.leftoverGone(settled.leftover());
            } else {
                runs.adopt(settled.leftover(), live.get(settled.leftover().instanceId()), settled.process().get(),
                        settled.verdict());
            }
        }
    }
}
