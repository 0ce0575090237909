package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.processes.PidFiles;
import dev.gpufleet.worker.processes.ProcessRunner;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The subordinate servers' pid files ({@code <data-dir>/rpc-servers/}): each helper process is recorded there as a
 * {@link Leftover} whose instance field is {@code <gpu index>/<instance id>}, {@code ray/<id>} or
 * {@code mindie/<id>}, so the next run of the agent adopts those still wanted after a crash and stops the others.
 * Touched only on the subordinate servers' thread.
 */
final class SubordinateLeftovers {
    /** Logged as the subordinate servers: these lines belong to their story. */
    private static final Logger LOG = Logger.getLogger(SubordinateServers.class);
    static final String PID_DIR = "rpc-servers";

    private final PidFiles pidFiles;
    private final ProcessRunner processes;
    private final Map<RpcServerPlan.Key, Leftover> leftovers = new HashMap<>();

    /** What to do with a leftover. */
    sealed interface Settled {
        RpcServerPlan.Key key();

        Leftover leftover();

        ProcessHandle process();
    }

    /** Still wanted here, on the port it would get now: taken over. */
    record Adopt(RpcServerPlan.Key key, Leftover leftover, ProcessHandle process, InstanceChanged instance)
            implements Settled {
    }

    record Stop(RpcServerPlan.Key key, Leftover leftover, ProcessHandle process, String reason) implements Settled {
    }

    SubordinateLeftovers(Path dataDir, ProcessRunner processes) {
        this.pidFiles = new PidFiles(dataDir.resolve(PID_DIR));
        this.processes = processes;
    }

    static String pidFileName(RpcServerPlan.Key key) {
        return PidFiles.name(key.instanceId(), "." + (key.role().perGpu() ? "gpu" + key.gpuIndex()
                : key.role().tag()));
    }

    private static String leftoverName(RpcServerPlan.Key key) {
        return (key.role().perGpu() ? String.valueOf(key.gpuIndex()) : key.role().leftoverPrefix()) + "/"
                + key.instanceId();
    }

    private static Optional<RpcServerPlan.Key> keyOf(Leftover leftover) {
        if (!leftover.adoptable()) {
            return Optional.empty();
        }
        int slash = leftover.instanceId().indexOf('/');
        if (slash < 1) {
            return Optional.empty();
        }
        String prefix = leftover.instanceId().substring(0, slash);
        String instanceId = leftover.instanceId().substring(slash + 1);
        for (RpcServerPlan.Role role : RpcServerPlan.Role.values()) {
            if (prefix.equals(role.leftoverPrefix())) {
                return Optional.of(new RpcServerPlan.Key(instanceId, role, -1));
            }
        }
        try {
            return Optional.of(new RpcServerPlan.Key(instanceId, Integer.parseInt(prefix)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    void record(SubordinateServer server) {
        long started = server.handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        try {
            pidFiles.write(pidFileName(server.key), new Leftover(server.pid, started, server.port,
                    server.restartCount, server.logOffset, leftoverName(server.key)));
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d of the RPC server of %s: %s", server.pid, server.key, e.toString());
        }
    }

    void forget(RpcServerPlan.Key key) {
        pidFiles.delete(pidFileName(key));
    }

    boolean isEmpty() {
        return leftovers.isEmpty();
    }

    /** Finds the servers an earlier run of the agent left running; stops those whose pid file says too little. */
    void load() {
        List<PidFiles.Recorded> recorded;
        try {
            recorded = pidFiles.list();
        } catch (IOException e) {
            LOG.warnf("Cannot look for RPC servers left by an earlier run in %s: %s", pidFiles.dir(), e.toString());
            return;
        }
        for (PidFiles.Recorded file : recorded) {
            Optional<RpcServerPlan.Key> key = file.leftover().flatMap(SubordinateLeftovers::keyOf);
            Optional<ProcessHandle> process = file.leftover().flatMap(Leftover::process);
            if (process.isPresent() && (key.isEmpty() || !file.name().equals(pidFileName(key.get())))) {
                LOG.warnf("Stopping RPC server pid %d left by an earlier run of this agent: its pid file %s "
                        + "does not say which instance it serves", process.get().pid(), file.name());
                processes.stop(process.get());
                pidFiles.delete(file.name());
            } else if (process.isEmpty()) {
                pidFiles.delete(file.name());
            } else {
                Leftover leftover = file.leftover().get();
                LOG.infof("Found %s (pid %d, port %d) left running by an earlier run of this agent",
                        key.get().describe(), leftover.pid(), leftover.port());
                leftovers.put(key.get(), leftover);
            }
        }
    }

    /**
     * Decides about the leftovers: those still wanted here are adopted; the others are stopped once the scheduler had
     * its grace to claim them, or at once when the port they hold is no longer theirs. A decided leftover is no
     * longer kept here; the pid file of one whose process ended is deleted.
     */
    List<Settled> settle(String workerId, Map<String, InstanceChanged> instances, boolean graceOver,
                         Function<RpcServerPlan.Role, ServerRole> roles) {
        List<Settled> settled = new ArrayList<>();
        for (Leftover leftover : List.copyOf(leftovers.values())) {
            RpcServerPlan.Key key = keyOf(leftover).orElseThrow();
            Optional<ProcessHandle> process = leftover.process();
            if (process.isEmpty()) {
                leftovers.remove(key);
                forget(key);
                continue;
            }
            InstanceChanged instance = instances.get(key.instanceId());
            String unwanted = RpcServerPlan.whyNot(workerId, instance, key);
            boolean fits = roles.apply(key.role()).fits(key, leftover.port());
            if (unwanted == null && fits) {
                leftovers.remove(key);
                settled.add(new Adopt(key, leftover, process.get(), instance));
            } else if (graceOver || unwanted == null) {
                leftovers.remove(key);
                settled.add(new Stop(key, leftover, process.get(),
                        unwanted != null ? unwanted : "gpufleet.worker.rpc-port-range changed"));
            }
        }
        return settled;
    }

    /** Stops every leftover not adopted (the agent shuts down). */
    List<CompletableFuture<Void>> stopAll() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Leftover leftover : leftovers.values()) {
            leftover.process().ifPresent(process -> stops.add(processes.stop(process)));
        }
        return stops;
    }

    /** After {@link #stopAll()}: their pid files go. */
    void forgetAll() {
        leftovers.keySet().forEach(this::forget);
    }
}
