package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Endpoints;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Revisions;

import java.util.Set;

/** Which agent observations the scheduler takes in, and the endpoint a RUNNING one gives. Pure. */
public final class Observations {
    /** What an agent may say about an instance; PENDING, SCHEDULED and UNREACHABLE are the scheduler's to say. */
    public static final Set<InstanceState> REPORTABLE = Set.of(InstanceState.DOWNLOADING, InstanceState.STARTING,
            InstanceState.RUNNING, InstanceState.ERROR);

    private Observations() {
    }

    /** The instance as the scheduler holds it. */
    public record Held(String workerId, Long observedRevision, int restartCount) {
    }

    /** Why a well-formed observation can never be applied (it is dead-lettered), or null. */
    public static String problemWith(InstanceObserved observed) {
        if (observed.instanceId() == null || observed.instanceId().isBlank()) {
            return "InstanceObserved instanceId is missing";
        }
        if (observed.workerId() == null || observed.workerId().isBlank()) {
            return "InstanceObserved workerId is missing";
        }
        if (observed.state() == null || !REPORTABLE.contains(observed.state())) {
            return "InstanceObserved state must be one of DOWNLOADING, STARTING, RUNNING, ERROR, was "
                    + observed.state();
        }
        if (observed.port() != null && (observed.port() < 1 || observed.port() > 65535)) {
            return "InstanceObserved port must be between 1 and 65535, was " + observed.port();
        }
        if (observed.state() == InstanceState.RUNNING && observed.port() == null) {
            return "InstanceObserved in state RUNNING needs a port";
        }
        if (observed.restartCount() < 0) {
            return "InstanceObserved restartCount must be >= 0, was " + observed.restartCount();
        }
        return null;
    }

    /** Why this observation does not apply to the instance as held (it is skipped), or null when it applies. */
    public static String whyIgnored(Held held, long revision, InstanceObserved observed) {
        if (held.workerId() == null) {
            return "the instance is not placed";
        }
        if (!held.workerId().equals(observed.workerId())) {
            return "reported by worker " + observed.workerId() + ", but the instance is on " + held.workerId();
        }
        if (held.observedRevision() != null && !Revisions.isNewer(held.observedRevision(), revision)) {
            return "revision " + revision + " is not newer than " + held.observedRevision();
        }
        if (observed.restartCount() < held.restartCount()) {
            return "it is about run " + observed.restartCount() + ", the instance is at restart "
                    + held.restartCount();
        }
        return null;
    }

    /**
     * Whether an ERROR comes from a worker that lends GPUs to the instance (its llama.cpp RPC servers could not
     * run) and applies to the current run: the instance fails as a whole and is restarted with backoff. A
     * subordinate's observation revisions are its own agent's sequence, not comparable with the main worker's, so
     * the run (restart count) decides, and the instance's observed revision stays the main worker's.
     */
    public static boolean isSubordinateError(Held held, java.util.List<String> subordinateWorkerIds,
                                             InstanceState currentState, InstanceObserved observed) {
        return observed.state() == InstanceState.ERROR
                && held.workerId() != null && !held.workerId().equals(observed.workerId())
                && subordinateWorkerIds.contains(observed.workerId())
                && observed.restartCount() >= held.restartCount()
                && currentState != InstanceState.ERROR && currentState != InstanceState.PENDING
                && currentState != InstanceState.UNREACHABLE;
    }

    /** {@code host:port}; the host is the worker's address (its name when it reports none). */
    public static String endpoint(String address, String workerName, int port) {
        String host = address == null || address.isBlank() ? workerName : address;
        return Endpoints.hostPort(host, port);
    }
}
