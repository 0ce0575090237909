package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.worker.backend.LaunchPlanner;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which llama.cpp RPC servers this worker runs as a <em>subordinate</em> of distributed llama-box instances:
 * (the scheduler's instances, the servers held) → actions. Pure.
 *
 * <p>A server runs per GPU this worker lends to a placed llama-box instance whose main backend is on another worker.
 * A server that could not start stays failed (its ERROR was reported) until the instance comes back with a higher
 * restart count, like the main backend after an ERROR.
 */
public final class RpcServerPlan {
    /** One RPC server: an instance's GPU on this worker. */
    public record Key(String instanceId, int gpuIndex) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::instanceId)
                .thenComparingInt(Key::gpuIndex);

        @Override
        public int compareTo(Key other) {
            return ORDER.compare(this, other);
        }

        @Override
        public String toString() {
            return instanceId + " GPU " + gpuIndex;
        }
    }

    public enum Phase { RUNNING, FAILED, STOPPING }

    /** @param phase RUNNING covers starting, running and waiting to be restarted after an exit */
    public record Held(Key key, Phase phase, int restartCount) {
    }

    public enum Kind { START, STOP, FORGET }

    /** @param instance set for START */
    public record Action(Kind kind, Key key, InstanceChanged instance, String reason) {
    }

    private RpcServerPlan() {
    }

    public static List<Action> decide(String workerId, Map<String, InstanceChanged> instances,
                                      Collection<Held> held) {
        List<Action> actions = new ArrayList<>();
        Set<Key> heldKeys = new HashSet<>();
        List<Held> sorted = new ArrayList<>(held);
        sorted.sort(Comparator.comparing(Held::key));
        for (Held h : sorted) {
            heldKeys.add(h.key());
            InstanceChanged instance = instances.get(h.key().instanceId());
            String unwanted = whyNot(workerId, instance, h.key().gpuIndex());
            switch (h.phase()) {
                case STOPPING:
                    break;
                case RUNNING:
                    if (unwanted != null) {
                        actions.add(new Action(Kind.STOP, h.key(), null, unwanted));
                    }
                    break;
                case FAILED:
                    if (unwanted != null) {
                        actions.add(new Action(Kind.FORGET, h.key(), null, unwanted));
                    } else if (instance.restartCount() > h.restartCount()) {
                        actions.add(new Action(Kind.START, h.key(), instance, "restart " + instance.restartCount()
                                + " of the instance after an error"));
                    }
                    break;
                default:
                    throw new IllegalStateException("unknown phase " + h.phase());
            }
        }
        List<Action> starts = new ArrayList<>();
        for (InstanceChanged instance : instances.values()) {
            for (int gpu : lentGpus(workerId, instance)) {
                Key key = new Key(instance.instanceId(), gpu);
                if (!heldKeys.contains(key)) {
                    starts.add(new Action(Kind.START, key, instance, "this worker lends GPU " + gpu + " to instance "
                            + (instance.name() == null ? instance.instanceId() : instance.name()) + ", "
                            + instance.state()));
                }
            }
        }
        starts.sort(Comparator.comparing(Action::key));
        actions.addAll(starts);
        return actions;
    }

    /** The GPUs of this worker an instance's RPC servers use; empty when none should run here. */
    static List<Integer> lentGpus(String workerId, InstanceChanged instance) {
        if (instance == null || instance.launchPlan() == null || !Reconciler.PLACED.contains(instance.state())
                || workerId.equals(instance.workerId()) || instance.workerId() == null
                || !LaunchPlanner.LLAMA_BOX.equals(LaunchPlanner.canonicalBackend(instance.launchPlan().backend()))) {
            return List.of();
        }
        Set<Integer> gpus = new java.util.TreeSet<>();
        for (SubordinateWorker subordinate : instance.subordinateWorkers()) {
            if (workerId.equals(subordinate.workerId())) {
                gpus.addAll(subordinate.gpuIndexes());
            }
        }
        return List.copyOf(gpus);
    }

    /** Null when the RPC server of this GPU should run, else why not. */
    static String whyNot(String workerId, InstanceChanged instance, int gpuIndex) {
        if (instance == null) {
            return "the instance was deleted";
        }
        if (lentGpus(workerId, instance).contains(gpuIndex)) {
            return null;
        }
        if (instance.launchPlan() == null) {
            return "the instance has no launch plan";
        }
        if (!Reconciler.PLACED.contains(instance.state())) {
            return "the instance is " + instance.state();
        }
        if (workerId.equals(instance.workerId())) {
            return "the instance's main backend moved to this worker";
        }
        if (instance.workerId() == null) {
            return "the instance is no longer placed on a worker";
        }
        if (instance.subordinateWorkers().stream().noneMatch(s -> workerId.equals(s.workerId()))) {
            return "this worker no longer lends GPUs to the instance";
        }
        if (!LaunchPlanner.LLAMA_BOX.equals(LaunchPlanner.canonicalBackend(instance.launchPlan().backend()))) {
            return "the instance's backend is no longer llama-box";
        }
        return "this worker no longer lends GPU " + gpuIndex + " to the instance";
    }
}
