package dev.gpufleet.worker.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.worker.backend.BackendCommand;
import dev.gpufleet.worker.backend.BackendLaunch;
import dev.gpufleet.worker.backend.BackendEnvironment;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.RayCommands;
import dev.gpufleet.worker.backend.LogTail;
import dev.gpufleet.worker.backend.PortRange;
import dev.gpufleet.worker.processes.ProcessTree;
import dev.gpufleet.worker.backend.RpcServers;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.processes.StepThread;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the helper processes this worker lends to distributed instances whose main backend runs on another worker
 * ({@link RpcServerPlan} decides): for llama-box, llama.cpp RPC servers ({@link RpcServers} builds the commands), one
 * per GPU on port {@code rpc-port-range first + GPU index}, so the main worker derives {@code --rpc} without asking;
 * for vLLM, one Ray worker node ({@link RayCommands#worker}) holding the GPUs lent, started once the Ray head on the
 * main worker accepts connections on its GCS port, and ready when its node manager port listens; for MindIE, one
 * MindIE node on the NPUs lent ({@link LaunchPlanner#mindieNode}), started once the main worker's MindIE is STARTING,
 * with the same rank table, and counted as started once it has run {@link #MIN_UPTIME} (it serves no request of its
 * own to probe).
 *
 * <p>The instance's state is the main worker's to report; this class only reports ERROR (on
 * {@code gpufleet.instance-status}) when a server cannot start: its binary or GPU is missing, it exits before it
 * listens, or it does not listen within the start timeout. A server that exits after it listened is restarted with
 * backoff (1 s doubling to 30 s) without a report: the main backend's own probes tell whether the instance suffers.
 * Servers are recorded in {@code <data-dir>/rpc-servers/} and adopted by the next run of the agent after a crash.
 *
 * <p>All state lives on one thread of its own, fed snapshots of the instance table by the {@link BackendSupervisor}.
 */
public final class SubordinateServers implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(SubordinateServers.class);
    static final String PID_DIR = "rpc-servers";
    private static final String RAY_PREFIX = "ray";
    private static final String MINDIE_PREFIX = "mindie";
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
    /** How many quick exits in a row make a Ray worker's start failed. */
    static final int RAY_QUICK_EXITS_TO_FAIL = 3;

    private final SupervisorSettings settings;
    private final ObservationSink sink;
    private final Clock clock;
    private final StepThread steps;
    private final String probeHost;
    private final PortRange range;
    private final String rangeProblem;

    private final Map<RpcServerPlan.Key, Server> servers = new HashMap<>();
    private final Map<RpcServerPlan.Key, Leftover> leftovers = new HashMap<>();
    private Map<String, InstanceChanged> instances = Map.of();
    private boolean updated;
    private boolean graceOver;
    private boolean closing;

    private static final class Server {
        final RpcServerPlan.Key key;
        final String name;
        final int restartCount;
        RpcServerPlan.Phase phase = RpcServerPlan.Phase.RUNNING;
        int port;
        long pid;
        ProcessHandle handle;
        Path logFile;
        long logOffset;
        Instant startedAt;
        Instant readyAt;
        Instant deadline;
        String readyHost;
        /** exits before listening or within {@link #MIN_UPTIME} of the start, in a row (Ray workers) */
        int quickExits;
        Duration restartDelay = FIRST_RESTART_DELAY;
        ScheduledFuture<?> task;
        String failure;

        Server(RpcServerPlan.Key key, String name, int restartCount) {
            this.key = key;
            this.name = name;
            this.restartCount = restartCount;
        }

        RpcServerPlan.Held held() {
            return new RpcServerPlan.Held(key, phase, restartCount);
        }
    }

    public SubordinateServers(SupervisorSettings settings, ObservationSink sink, Clock clock) {
        this.settings = settings;
        this.sink = sink;
        this.clock = clock;
        this.steps = new StepThread("gpufleet-rpc-servers", "gpufleet-rpc-kill", LOG, "RPC server step failed");
        this.probeHost = dev.gpufleet.worker.backend.HealthProbe.probeHost(settings.backendHost());
        PortRange parsed = null;
        String problem = null;
        try {
            parsed = PortRange.parse(settings.rpcPortRange());
        } catch (IllegalArgumentException e) {
            problem = "gpufleet.worker.rpc-port-range: " + e.getMessage();
        }
        this.range = parsed;
        this.rangeProblem = problem;
    }

    /** Finds the servers an earlier run of the agent left running, to adopt those still wanted. */
    public void start() {
        post(this::loadLeftovers);
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
        List<RpcServerPlan.Held> held = servers.values().stream().map(Server::held).toList();
        for (RpcServerPlan.Action action : RpcServerPlan.decide(settings.workerId(), instances, held)) {
            switch (action.kind()) {
                case START -> startServer(action.instance(), action.key(), action.reason());
                case STOP -> {
                    Server server = servers.get(action.key());
                    LOG.infof("Stopping %s: %s", describe(server.key), action.reason());
                    stop(server);
                }
                case FORGET -> servers.remove(action.key());
                default -> throw new IllegalStateException("unknown action " + action.kind());
            }
        }
    }

    private void startServer(InstanceChanged instance, RpcServerPlan.Key key, String reason) {
        Server server = new Server(key, instance.name() == null ? instance.instanceId() : instance.name(),
                instance.restartCount());
        servers.put(key, server);
        launch(server, reason);
    }

    private void launch(Server server, String reason) {
        if (server.key.role() == RpcServerPlan.Role.RAY_WORKER) {
            launchRayWorker(server, reason);
            return;
        }
        if (server.key.role() == RpcServerPlan.Role.MINDIE_NODE) {
            launchMindieNode(server, reason);
            return;
        }
        if (rangeProblem != null) {
            fail(server, rangeProblem);
            return;
        }
        BinaryChoice binary = settings.binaries().get();
        if (!binary.found()) {
            fail(server, binary.problem());
            return;
        }
        List<GpuDevice> devices = settings.devices().get();
        Optional<RpcServers.RpcServer> planned = RpcServers.plan(binary.command(), settings.backendHost(), devices,
                range).stream().filter(s -> s.gpuIndex() == server.key.gpuIndex()).findFirst();
        if (planned.isEmpty()) {
            fail(server, "GPU " + server.key.gpuIndex() + " is not among this worker's GPUs "
                    + devices.stream().map(GpuDevice::index).toList());
            return;
        }
        RpcServers.RpcServer rpc = planned.get();
        if (!rpc.ready()) {
            fail(server, rpc.problem());
            return;
        }
        server.port = rpc.port();
        server.readyHost = probeHost;
        spawn(server, rpc.command(), rpc.environment(), reason);
    }

    /**
     * A Ray worker node of a vLLM instance: it needs {@code ray}, the main worker's address and the head's GCS port
     * answering there (the main worker starts the head when it starts the instance, so this waits for it, bounded by
     * the start timeout).
     */
    private void launchRayWorker(Server server, String reason) {
        InstanceChanged instance = instances.get(server.key.instanceId());
        if (instance == null) {
            return; // deleted meanwhile: the next reconcile forgets it
        }
        String cannot = describe(server.key) + " cannot start: ";
        BinaryChoice ray = settings.backendBinaries().apply(LaunchPlanner.RAY);
        if (!ray.found()) {
            fail(server, cannot + ray.problem());
            return;
        }
        launchRayWorker(server, instance, ray, Optional.ofNullable(instance.workerAddress()), reason);
    }

    /** MindIE on the NPUs this worker lends, with the rank table and config files the main worker writes too. */
    private void launchMindieNode(Server server, String reason) {
        InstanceChanged instance = instances.get(server.key.instanceId());
        if (instance == null) {
            return; // deleted meanwhile: the next reconcile forgets it
        }
        BackendLaunch launch = LaunchPlanner.mindieNode(instance, settings.workerId(),
                BackendHosts.of(settings, OptionalInt::empty, null));
        if (!launch.ready()) {
            fail(server, describe(server.key) + " on subordinate worker " + settings.workerId() + " cannot start: "
                    + launch.problem());
            return;
        }
        try {
            BackendHosts.writeFiles(launch.files());
        } catch (IOException | RuntimeException e) {
            fail(server, describe(server.key) + " cannot start: cannot write " + launch.files().keySet() + ": "
                    + e.getMessage());
            return;
        }
        if (!launch.warnings().isEmpty()) {
            LOG.warnf("%s: %s", describe(server.key), String.join("; ", launch.warnings()));
        }
        server.port = launch.port();
        server.readyHost = null;
        server.deadline = clock.instant().plus(settings.startTimeout());
        spawn(server, launch.command(), launch.environment(), reason);
    }

    private void launchRayWorker(Server server, InstanceChanged instance, BinaryChoice ray, Optional<String> head,
                                 String reason) {
        String cannot = describe(server.key) + " cannot start: ";
        if (head.isEmpty() || head.get().isBlank()) {
            fail(server, cannot + "the address of main worker " + (instance.workerName() != null
                    ? instance.workerName() + " (" + instance.workerId() + ")" : instance.workerId())
                    + ", where the Ray head runs, is unknown to this worker: the instance's InstanceChanged carries "
                    + "no workerAddress (a scheduler older than that field, or the main worker's heartbeat gave no "
                    + "address when it was placed)");
            return;
        }
        List<Integer> gpus = RpcServerPlan.lentGpus(settings.workerId(), instance);
        String node = settings.ray().nodeAddress();
        BackendEnvironment environment = RayCommands.environment(settings.devices().get(), gpus, node);
        if (environment.problem() != null) {
            fail(server, cannot + environment.problem());
            return;
        }
        RayCommands.Ports ports = settings.ray().ports();
        BackendCommand command = RayCommands.worker(ray.command(), head.get(), node, gpus.size(), ports);
        server.port = ports.nodeManager();
        server.readyHost = node;
        server.readyAt = null;
        server.deadline = clock.instant().plus(settings.startTimeout());
        awaitHead(server, head.get(), command, environment.variables(), reason);
    }

    private void awaitHead(Server server, String head, BackendCommand command, Map<String, String> environment,
                           String reason) {
        if (!current(server) || server.phase != RpcServerPlan.Phase.RUNNING || server.handle != null) {
            return;
        }
        int gcs = settings.ray().ports().gcs();
        if (Preludes.accepts(head, gcs)) {
            spawn(server, command, environment, reason);
        } else if (!clock.instant().isBefore(server.deadline)) {
            fail(server, describe(server.key) + " on subordinate worker " + settings.workerId() + " did not start: "
                    + "the Ray head at " + RayCommands.gcsAddress(head, settings.ray().ports()) + " did not accept "
                    + "connections within " + settings.startTimeout().toSeconds() + "s (gpufleet.worker.start-timeout)");
        } else {
            server.task = schedule(() -> awaitHead(server, head, command, environment, reason), READY_POLL);
        }
    }

    private void spawn(Server server, BackendCommand command, Map<String, String> environment, String reason) {
        server.readyAt = null;
        Process process;
        try {
            Path dir = settings.dataDir().resolve(BackendSupervisor.LOG_DIR);
            Files.createDirectories(dir);
            server.logFile = dir.resolve(logFileName(server.name, server.key));
            Files.writeString(server.logFile, "=== " + clock.instant() + " gpufleet: starting " + describe(server.key)
                    + " on port " + server.port + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            server.logOffset = Files.size(server.logFile);
            ProcessBuilder builder = new ProcessBuilder(command.args()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(server.logFile.toFile()));
            builder.environment().putAll(environment);
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException | RuntimeException e) {
            fail(server, "cannot start " + command.args().get(0) + ": " + e.getMessage());
            return;
        }
        server.handle = process.toHandle();
        server.pid = process.pid();
        server.startedAt = clock.instant();
        server.deadline = server.startedAt.plus(settings.startTimeout());
        writePidFile(server);
        LOG.infof("Starting %s (%s) on port %d as pid %d: %s", describe(server.key), reason, server.port,
                server.pid, command.redacted());
        process.onExit().whenComplete((exited, failure) -> post(() -> onExit(server,
                "exited with code " + process.exitValue())));
        scheduleReadyCheck(server, READY_POLL);
    }

    private void scheduleReadyCheck(Server server, Duration delay) {
        server.task = schedule(() -> checkReady(server), delay);
    }

    private void checkReady(Server server) {
        if (!current(server) || server.handle == null || server.readyAt != null) {
            return;
        }
        if (server.readyHost == null ? !clock.instant().isBefore(server.startedAt.plus(MIN_UPTIME))
                : Preludes.accepts(server.readyHost, server.port)) {
            server.readyAt = clock.instant();
            LOG.infof(server.readyHost == null ? "%s runs (port %d)" : "%s listens on port %d",
                    describe(server.key), server.port);
        } else if (!clock.instant().isBefore(server.deadline)) {
            server.failure = describe(server.key) + " on subordinate worker "
                    + settings.workerId() + " did not listen on port " + server.port + " within "
                    + settings.startTimeout().toSeconds() + "s (gpufleet.worker.start-timeout); it was killed";
            stop(server);
        } else {
            scheduleReadyCheck(server, READY_POLL);
        }
    }

    /** "the RPC server of GPU 0", "the Ray worker of instance i-1": how messages name a helper process. */
    static String describe(RpcServerPlan.Key key) {
        return switch (key.role()) {
            case RAY_WORKER -> "the Ray worker of instance " + key.instanceId();
            case MINDIE_NODE -> "the MindIE node of instance " + key.instanceId();
            default -> "the RPC server of GPU " + key.gpuIndex();
        };
    }

    private void onExit(Server server, String exited) {
        if (!current(server) || server.phase != RpcServerPlan.Phase.RUNNING || server.handle == null) {
            return;
        }
        cancel(server);
        deletePidFile(server.key);
        server.handle = null;
        boolean early = server.startedAt != null
                && Duration.between(server.startedAt, clock.instant()).compareTo(MIN_UPTIME) < 0;
        boolean failedStart = server.readyAt == null || early;
        if (failedStart && server.key.role() == RpcServerPlan.Role.RAY_WORKER) {
            // a Ray worker also exits soon after its start when the head it just joined goes away (the main worker
            // restarts the instance): that is retried, and only repeated quick exits count as a failed start
            server.quickExits++;
            failedStart = server.quickExits >= RAY_QUICK_EXITS_TO_FAIL;
            exited = exited + (failedStart ? " (" + server.quickExits + " times in a row)" : "");
        } else if (!failedStart) {
            server.quickExits = 0;
        }
        if (failedStart) {
            fail(server, describe(server.key) + " on subordinate worker "
                    + settings.workerId() + " " + exited + (server.readyAt == null && server.readyHost != null
                    ? " before it listened on port " + server.port
                    : " within " + MIN_UPTIME.toSeconds() + "s of its start on port " + server.port)
                    + "; last log lines:\n" + LogTail.of(server.logFile, server.logOffset));
            return;
        }
        if (server.readyAt != null && Duration.between(server.readyAt, clock.instant()).compareTo(STABLE) >= 0) {
            server.restartDelay = FIRST_RESTART_DELAY;
        }
        Duration delay = server.restartDelay;
        server.restartDelay = min(delay.multipliedBy(2), LONGEST_RESTART_DELAY);
        LOG.warnf("%s %s; restarting it in %ds (log: %s)", describe(server.key), exited, delay.toSeconds(),
                server.logFile);
        server.task = schedule(() -> {
            if (current(server) && server.phase == RpcServerPlan.Phase.RUNNING && server.handle == null) {
                launch(server, "it exited");
            }
        }, delay);
    }

    private void fail(Server server, String message) {
        server.phase = RpcServerPlan.Phase.FAILED;
        servers.put(server.key, server);
        int firstLineEnd = message.indexOf('\n');
        LOG.warnf("Instance %s is in ERROR: %s", server.name, firstLineEnd < 0 ? message
                : message.substring(0, firstLineEnd));
        sink.publish(new InstanceObserved(server.key.instanceId(), settings.workerId(), InstanceState.ERROR, null,
                null, null, message, server.restartCount));
    }

    private void stop(Server server) {
        server.phase = RpcServerPlan.Phase.STOPPING;
        cancel(server);
        CompletableFuture<Void> stopped = server.handle == null ? CompletableFuture.completedFuture(null)
                : ProcessTree.stop(server.handle, settings.stopTimeout(), steps.killTimer());
        stopped.whenComplete((ignored, failure) -> post(() -> onStopped(server)));
    }

    private void onStopped(Server server) {
        deletePidFile(server.key);
        if (closing || !current(server)) {
            return;
        }
        if (server.failure != null) {
            fail(server, server.failure + "; last log lines:\n" + LogTail.of(server.logFile, server.logOffset));
        } else {
            servers.remove(server.key);
            LOG.infof("%s stopped; port %d is free", describe(server.key), server.port);
        }
        reconcile();
    }

    private boolean current(Server server) {
        return servers.get(server.key) == server;
    }

    private void cancel(Server server) {
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
        CompletableFuture<Void> allStopped = new CompletableFuture<>();
        post(() -> {
            closing = true;
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            for (Leftover leftover : leftovers.values()) {
                leftover.process().ifPresent(p -> stops.add(
                        ProcessTree.stop(p, settings.stopTimeout(), steps.killTimer())));
            }
            for (Server server : servers.values()) {
                server.phase = RpcServerPlan.Phase.STOPPING;
                cancel(server);
                if (server.handle != null) {
                    LOG.infof("Stopping %s: the agent is shutting down", describe(server.key));
                    stops.add(ProcessTree.stop(server.handle, settings.stopTimeout(), steps.killTimer()));
                }
            }
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
                    .whenComplete((ignored, failure) -> allStopped.complete(null));
        });
        try {
            allStopped.get(settings.stopTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warnf("Not every RPC server was confirmed stopped: %s", e.toString());
        }
        shutdown();
        for (RpcServerPlan.Key key : servers.keySet()) {
            deletePidFile(key);
        }
        for (RpcServerPlan.Key key : leftovers.keySet()) {
            deletePidFile(key);
        }
    }

    /** What a crash of the agent does, for tests: the servers keep running, their pid files stay. */
    void abandon() {
        shutdown();
    }

    private void shutdown() {
        steps.shutdown();
    }

    private void post(Runnable task) {
        steps.post(task);
    }

    private ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return steps.schedule(task, delay);
    }

    static String logFileName(String instanceName, RpcServerPlan.Key key) {
        String base = BackendSupervisor.logFileName(instanceName, key.instanceId());
        return base.substring(0, base.length() - ".log".length()) + switch (key.role()) {
            case RAY_WORKER -> ".ray-worker.log";
            case MINDIE_NODE -> ".mindie-node.log";
            default -> ".rpc-gpu" + key.gpuIndex() + ".log";
        };
    }

    static String pidFileName(RpcServerPlan.Key key) {
        return key.instanceId().replaceAll("[^A-Za-z0-9._-]", "_") + switch (key.role()) {
            case RAY_WORKER -> ".ray-worker.pid";
            case MINDIE_NODE -> ".mindie-node.pid";
            default -> ".gpu" + key.gpuIndex() + ".pid";
        };
    }

    private static String leftoverName(RpcServerPlan.Key key) {
        return switch (key.role()) {
            case RAY_WORKER -> RAY_PREFIX;
            case MINDIE_NODE -> MINDIE_PREFIX;
            default -> String.valueOf(key.gpuIndex());
        } + "/" + key.instanceId();
    }

    /** A {@link Leftover} line whose instance field is {@code <gpu index>/<instance id>} or {@code ray/<id>}. */
    private void writePidFile(Server server) {
        try {
            Path dir = settings.dataDir().resolve(PID_DIR);
            Files.createDirectories(dir);
            long started = server.handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
            Files.writeString(dir.resolve(pidFileName(server.key)), new Leftover(server.pid, started, server.port,
                    server.restartCount, server.logOffset, leftoverName(server.key))
                    .line());
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d of the RPC server of %s: %s", server.pid, server.key, e.toString());
        }
    }

    private void deletePidFile(RpcServerPlan.Key key) {
        try {
            Files.deleteIfExists(settings.dataDir().resolve(PID_DIR).resolve(pidFileName(key)));
        } catch (IOException e) {
            LOG.debugf("Cannot delete the pid file of the RPC server of %s: %s", key, e);
        }
    }

    private void loadLeftovers() {
        Path dir = settings.dataDir().resolve(PID_DIR);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path file : files) {
                Optional<Leftover> found;
                try {
                    found = Leftover.parse(Files.readString(file));
                } catch (IOException e) {
                    found = Optional.empty();
                }
                Optional<RpcServerPlan.Key> key = found.flatMap(SubordinateServers::keyOf);
                Optional<ProcessHandle> process = found.flatMap(Leftover::process);
                if (process.isPresent() && (key.isEmpty() || !file.getFileName().toString()
                        .equals(pidFileName(key.get())))) {
                    LOG.warnf("Stopping RPC server pid %d left by an earlier run of this agent: its pid file %s "
                            + "does not say which instance it serves", process.get().pid(), file.getFileName());
                    ProcessTree.stop(process.get(), settings.stopTimeout(), steps.killTimer());
                    Files.deleteIfExists(file);
                } else if (process.isEmpty()) {
                    Files.deleteIfExists(file);
                } else {
                    LOG.infof("Found %s (pid %d, port %d) left running by an earlier run of this "
                            + "agent", describe(key.get()), found.get().pid(), found.get().port());
                    leftovers.put(key.get(), found.get());
                }
            }
        } catch (IOException e) {
            LOG.warnf("Cannot look for RPC servers left by an earlier run in %s: %s", dir, e.toString());
        }
    }

    private static Optional<RpcServerPlan.Key> keyOf(Leftover leftover) {
        if (!leftover.adoptable()) {
            return Optional.empty();
        }
        int slash = leftover.instanceId().indexOf('/');
        if (slash > 0 && leftover.instanceId().substring(0, slash).equals(RAY_PREFIX)) {
            return Optional.of(RpcServerPlan.Key.rayWorker(leftover.instanceId().substring(slash + 1)));
        }
        if (slash > 0 && leftover.instanceId().substring(0, slash).equals(MINDIE_PREFIX)) {
            return Optional.of(RpcServerPlan.Key.mindieNode(leftover.instanceId().substring(slash + 1)));
        }
        try {
            return slash < 1 ? Optional.empty() : Optional.of(new RpcServerPlan.Key(
                    leftover.instanceId().substring(slash + 1),
                    Integer.parseInt(leftover.instanceId().substring(0, slash))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Adopts leftovers still wanted here; stops the others once the scheduler had its grace to claim them. */
    private void settleLeftovers() {
        for (Leftover leftover : List.copyOf(leftovers.values())) {
            RpcServerPlan.Key key = keyOf(leftover).orElseThrow();
            Optional<ProcessHandle> process = leftover.process();
            if (process.isEmpty()) {
                leftovers.remove(key);
                deletePidFile(key);
                continue;
            }
            InstanceChanged instance = instances.get(key.instanceId());
            String unwanted = RpcServerPlan.whyNot(settings.workerId(), instance, key);
            boolean samePort = switch (key.role()) {
                case RAY_WORKER -> settings.ray().ports().nodeManager() == leftover.port();
                case MINDIE_NODE -> true; // its port is in its config file, which the leftover still reads
                default -> range != null && RpcServers.port(range, key.gpuIndex()) == leftover.port();
            };
            if (unwanted == null && samePort) {
                leftovers.remove(key);
                Server server = new Server(key, instance.name() == null ? key.instanceId() : instance.name(),
                        leftover.restartCount());
                server.port = leftover.port();
                server.pid = leftover.pid();
                server.handle = process.get();
                server.logOffset = leftover.logOffset();
                server.logFile = settings.dataDir().resolve(BackendSupervisor.LOG_DIR)
                        .resolve(logFileName(server.name, key));
                server.readyAt = clock.instant();
                servers.put(key, server);
                LOG.infof("Adopting %s (pid %d, port %d)", describe(key), server.pid, server.port);
                server.handle.onExit().whenComplete((exited, failure) -> post(() -> onExit(server,
                        "exited (it was adopted from an earlier run of the agent, so its exit code is unknown)")));
            } else if (graceOver || (unwanted == null && !samePort)) {
                leftovers.remove(key);
                LOG.infof("Stopping %s (pid %d) left by an earlier run of this agent: %s", describe(key),
                        leftover.pid(), unwanted != null ? unwanted : "gpufleet.worker.rpc-port-range changed");
                ProcessTree.stop(process.get(), settings.stopTimeout(), steps.killTimer())
                        .whenComplete((ignored, failure) -> post(() -> {
                            deletePidFile(key);
                            reconcile();
                        }));
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
