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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The backends' pid files ({@code <data-dir>/backends/}): each running backend and prelude is recorded there, so
 * that the next run of the agent finds what an earlier one left running after a crash. Those the scheduler still
 * wants here are adopted, the rest stopped ({@link Adoption} decides). Touched only on the supervisor thread.
 */
final class BackendLeftovers {
    /** Logged as the supervisor: these lines belong to its story of each backend. */
    private static final Logger LOG = Logger.getLogger(BackendSupervisor.class);
    /** {@code <instanceId>.pid}: each running backend as a {@link Leftover} line, to adopt or stop it after a crash. */
    static final String PID_DIR = "backends";
    /** {@code <instanceId>.prelude.pid}: a backend's prelude (its Ray head), stopped after a crash. */
    private static final String PRELUDE_TAG = ".prelude";

    private final PidFiles pidFiles;
    private final ProcessRunner processes;
    /** Backends an earlier run of this agent left running, by instance id, until adopted or stopped. */
    private final Map<String, Leftover> leftovers = new HashMap<>();

    /** A leftover decided about: its process (empty: it ended while waiting) and what to do with it. */
    record Settled(Leftover leftover, Optional<ProcessHandle> process, Adoption.Verdict verdict) {
    }

    BackendLeftovers(Path dataDir, ProcessRunner processes) {
        this.pidFiles = new PidFiles(dataDir.resolve(PID_DIR));
        this.processes = processes;
    }

    static String pidFileName(String instanceId) {
        return PidFiles.name(instanceId, "");
    }

    static String preludePidFileName(String instanceId) {
        return PidFiles.name(instanceId, PRELUDE_TAG);
    }

    void recordBackend(BackendRun run) {
        long started = startMillis(run.handle);
        try {
            pidFiles.write(pidFileName(run.instanceId), new Leftover(run.pid, started, run.port, run.restartCount,
                    run.logOffset, run.instanceId, run.backendPort));
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d of instance %s (a crash of the agent would leave it running): %s",
                    run.pid, run.name, e.toString());
        }
    }

    void recordPrelude(BackendRun run) {
        Path file = pidFiles.file(preludePidFileName(run.instanceId));
        long pid = run.prelude.pid();
        try {
            pidFiles.write(preludePidFileName(run.instanceId), new Leftover(pid, startMillis(run.prelude), run.port,
                    run.restartCount, run.logOffset, run.instanceId));
        } catch (IOException e) {
            LOG.warnf("Cannot record pid %d in %s (a crash of the agent would leave it running): %s", pid, file,
                    e.toString());
        }
    }

    void forgetBackend(String instanceId) {
        pidFiles.delete(pidFileName(instanceId));
    }

    void forgetPrelude(String instanceId) {
        pidFiles.delete(preludePidFileName(instanceId));
    }

    boolean isEmpty() {
        return leftovers.isEmpty();
    }

    /** The instances whose leftovers are still waiting for the scheduler's word: nothing else may start them. */
    Set<String> undecided() {
        return Set.copyOf(leftovers.keySet());
    }

    /** The ports the leftovers still waiting to be adopted hold. */
    Set<Integer> ports() {
        Set<Integer> ports = new HashSet<>();
        leftovers.values().forEach(leftover -> ports.add(leftover.port()));
        return ports;
    }

    /**
     * Reads what an earlier run of the agent left. A backend whose pid file does not say which instance and port
     * it serves is stopped, and so are a backend and its prelude (vLLM and its Ray head): they start anew. Returns
     * once those are gone, so that the starts queued behind it do not race them for their ports.
     */
    void load() {
        List<PidFiles.Recorded> recorded;
        try {
            recorded = pidFiles.list();
        } catch (IOException e) {
            LOG.warnf("Cannot look for backends left by an earlier run in %s: %s", pidFiles.dir(), e.toString());
            return;
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        Set<String> withPrelude = new HashSet<>();
        for (PidFiles.Recorded file : recorded) {
            Optional<Leftover> found = file.leftover();
            Optional<ProcessHandle> process = found.flatMap(Leftover::process);
            if (file.name().endsWith(PRELUDE_TAG + ".pid")) {
                found.map(Leftover::instanceId).ifPresent(withPrelude::add);
                process.ifPresent(p -> {
                    LOG.infof("Stopping pid %d, the Ray head of instance %s left running by an earlier run of "
                            + "this agent: it and its backend start anew", p.pid(), found.get().instanceId());
                    stops.add(processes.stop(p));
                });
                pidFiles.delete(file.name());
            } else if (process.isEmpty()) {
                pidFiles.delete(file.name()); // its process is gone, or the pid now belongs to another one
            } else if (!found.get().adoptable() || !file.name().equals(pidFileName(found.get().instanceId()))) {
                LOG.warnf("Stopping backend pid %d left running by an earlier run of this agent (%s): its pid "
                        + "file does not say which instance and port it serves", process.get().pid(), file.name());
                stops.add(processes.stop(process.get()));
                pidFiles.delete(file.name());
            } else {
                Leftover leftover = found.get();
                LOG.infof("Found backend pid %d of instance %s (restart %d, port %d) left running by an earlier "
                        + "run of this agent; it is adopted if the scheduler still wants it here",
                        leftover.pid(), leftover.instanceId(), leftover.restartCount(), leftover.port());
                leftovers.put(leftover.instanceId(), leftover);
            }
        }
        for (String instanceId : withPrelude) {
            Leftover leftover = leftovers.remove(instanceId);
            if (leftover != null) {
                LOG.infof("Stopping backend pid %d of instance %s after all: its Ray head was left running too, and "
                        + "both start anew", leftover.pid(), instanceId);
                leftover.process().ifPresent(p -> stops.add(processes.stop(p)));
                forgetBackend(instanceId);
            }
        }
        if (!stops.isEmpty()) {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        }
    }

    /**
     * Decides about every leftover the scheduler has said something about (or all, once its grace is over); a
     * decided leftover is no longer kept here, and the pid file of one whose process ended is deleted.
     */
    List<Settled> settle(String workerId, Map<String, InstanceChanged> live, boolean graceOver) {
        List<Settled> settled = new ArrayList<>();
        for (Leftover leftover : List.copyOf(leftovers.values())) {
            Adoption.Verdict verdict = Adoption.decide(workerId, live, leftover, graceOver);
            Optional<ProcessHandle> process = leftover.process();
            if (verdict.kind() == Adoption.Kind.WAIT && process.isPresent()) {
                continue;
            }
            leftovers.remove(leftover.instanceId());
            if (process.isEmpty()) {
                forgetBackend(leftover.instanceId());
            }
            settled.add(new Settled(leftover, process, verdict));
        }
        return settled;
    }

    /** Stops every leftover not adopted (the agent shuts down). */
    List<CompletableFuture<Void>> stopAll() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Leftover leftover : leftovers.values()) {
            leftover.process().ifPresent(process -> stops.add(processes.stop(process)));
            forgetBackend(leftover.instanceId());
        }
        leftovers.clear();
        return stops;
    }

    private static long startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
