package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides what to start and stop: (the scheduler's instances, what this agent holds) → actions. Pure.
 *
 * <p>An instance should run here when it is this worker's, has a launch plan and is in a placed state. The
 * scheduler is the only one who restarts: after this agent reports ERROR it waits until the instance comes back
 * with a higher restart count (the scheduler's backoff), and a running backend whose instance's restart count
 * grows is restarted. After an agent restart nothing is held, so every placed instance is started again.
 */
public final class Reconciler {
    /** States in which the instance is placed on its worker and its backend should run. */
    static final Set<InstanceState> PLACED = EnumSet.of(InstanceState.SCHEDULED, InstanceState.DOWNLOADING,
            InstanceState.STARTING, InstanceState.RUNNING, InstanceState.UNREACHABLE);

    private Reconciler() {
    }

    public static List<Action> decide(String workerId, Map<String, InstanceChanged> instances,
                                      Collection<Held> held) {
        List<Action> actions = new ArrayList<>();
        Set<String> heldIds = held.stream().map(Held::instanceId).collect(Collectors.toSet());
        for (Held h : sorted(held)) {
            InstanceChanged instance = instances.get(h.instanceId());
            String unwanted = whyNotHere(workerId, instance);
            switch (h.phase()) {
                case STOPPING:
                    break;
                case STARTING:
                case RUNNING:
                    if (unwanted != null) {
                        actions.add(Action.stop(h.instanceId(), unwanted));
                    } else if (instance.restartCount() > h.restartCount()) {
                        actions.add(Action.stop(h.instanceId(), "the scheduler asked for restart "
                                + instance.restartCount()));
                    }
                    break;
                case FAILED:
                    if (unwanted == null && instance.restartCount() > h.restartCount()) {
                        actions.add(Action.start(instance, "restart " + instance.restartCount() + " after an error"));
                    } else if (instance == null || !workerId.equals(instance.workerId())) {
                        actions.add(Action.forget(h.instanceId(), unwanted));
                    }
                    break;
                default:
                    throw new IllegalStateException("unknown phase " + h.phase());
            }
        }
        instances.values().stream()
                .filter(i -> !heldIds.contains(i.instanceId()) && whyNotHere(workerId, i) == null)
                .sorted(Comparator.comparing(InstanceChanged::instanceId))
                .forEach(i -> actions.add(Action.start(i, "placed on this worker, " + i.state())));
        return actions;
    }

    /** Null when the instance's backend should run on this worker, else why not. */
    static String whyNotHere(String workerId, InstanceChanged instance) {
        if (instance == null) {
            return "the instance was deleted";
        }
        if (!workerId.equals(instance.workerId())) {
            return instance.workerId() == null ? "the instance is no longer placed on a worker"
                    : "the instance moved to worker " + (instance.workerName() != null ? instance.workerName()
                    : instance.workerId());
        }
        if (instance.launchPlan() == null) {
            return "the instance has no launch plan";
        }
        if (!PLACED.contains(instance.state())) {
            return "the instance is " + instance.state();
        }
        return null;
    }

    private static List<Held> sorted(Collection<Held> held) {
        List<Held> list = new ArrayList<>(held);
        list.sort(Comparator.comparing(Held::instanceId));
        return list;
    }
}
