package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
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
 * Decides which helper processes this worker runs as a <em>subordinate</em> of distributed instances: (the
 * scheduler's instances, the processes held) → actions. Pure.
 *
 * <p>For a placed llama-box instance whose main backend is on another worker, a llama.cpp RPC server per GPU this
 * worker lends it; for a placed vLLM instance, one Ray worker node holding all the GPUs this worker lends it; for a
 * MindIE instance, one MindIE node on the NPUs this worker lends it, once the main worker's MindIE is STARTING or
 * RUNNING (GPUStack's {@code initialize_later}: the main node writes the rank table and starts first).
 * A server that could not start stays failed (its ERROR was reported) until the instance comes back with a higher
 * restart count, like the main backend after an ERROR.
 */
public final class RpcServerPlan {
    /** The kinds of helper process, each for the instances of one backend. */
    public enum Role {
        /** one llama.cpp RPC server per GPU lent to a llama-box instance */
        RPC_SERVER(LaunchPlanner.LLAMA_BOX, "RPC server", null, null),
        /** one Ray worker node holding every GPU lent to a vLLM instance */
        RAY_WORKER(LaunchPlanner.VLLM, "Ray worker", "ray-worker", "ray"),
        /** one MindIE node on the NPUs lent to a MindIE instance */
        MINDIE_NODE(LaunchPlanner.MINDIE, "MindIE node", "mindie-node", "mindie");

        private final String backend;
        private final String noun;
        private final String tag;
        private final String leftoverPrefix;

        /**
         * @param tag            what its files are named with after the instance's; null for a role with one
         *                       process per GPU, whose files name the GPU
         * @param leftoverPrefix what its pid file's instance field starts with; null for one process per GPU
         */
        Role(String backend, String noun, String tag, String leftoverPrefix) {
            this.backend = backend;
            this.noun = noun;
            this.tag = tag;
            this.leftoverPrefix = leftoverPrefix;
        }

        /** The backend of the instances it serves. */
        public String backend() {
            return backend;
        }

        /** One process per GPU lent (else one per instance). */
        public boolean perGpu() {
            return tag == null;
        }

        /** e.g. "ray-worker"; null when {@link #perGpu()} */
        public String tag() {
            return tag;
        }

        /** e.g. "ray"; null when {@link #perGpu()} */
        public String leftoverPrefix() {
            return leftoverPrefix;
        }
    }

    /** One helper process: an RPC server (an instance's GPU on this worker) or a Ray worker node (gpuIndex -1). */
    public record Key(String instanceId, Role role, int gpuIndex) implements Comparable<Key> {
        private static final Comparator<Key> ORDER = Comparator.comparing(Key::instanceId)
                .thenComparing(Key::role).thenComparingInt(Key::gpuIndex);

        public Key(String instanceId, int gpuIndex) {
            this(instanceId, Role.RPC_SERVER, gpuIndex);
        }

        public static Key rayWorker(String instanceId) {
            return new Key(instanceId, Role.RAY_WORKER, -1);
        }

        public static Key mindieNode(String instanceId) {
            return new Key(instanceId, Role.MINDIE_NODE, -1);
        }

        @Override
        public int compareTo(Key other) {
            return ORDER.compare(this, other);
        }

        /** "the RPC server of GPU 0", "the Ray worker of instance i-1": how messages name a helper process. */
        public String describe() {
            return "the " + role.noun + " of " + (role.perGpu() ? "GPU " + gpuIndex : "instance " + instanceId);
        }

        @Override
        public String toString() {
            return instanceId + " " + (role.perGpu() ? "GPU " + gpuIndex : role.noun);
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

    private static final Set<String> SUBORDINATE_BACKENDS = Set.of(LaunchPlanner.LLAMA_BOX, LaunchPlanner.VLLM,
            LaunchPlanner.MINDIE);
    /** A subordinate's MindIE starts once the main worker's has started (it wrote the rank table and listens). */
    static final Set<InstanceState> MINDIE_MAIN_STARTED = Set.of(InstanceState.STARTING, InstanceState.RUNNING);

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
            String unwanted = whyNot(workerId, instance, h.key());
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
            for (Key key : keys(workerId, instance)) {
                if (!heldKeys.contains(key)) {
                    String lent = key.role().perGpu() ? "GPU " + key.gpuIndex()
                            : "GPUs " + lentGpus(workerId, instance);
                    starts.add(new Action(Kind.START, key, instance, "this worker lends " + lent + " to instance "
                            + (instance.name() == null ? instance.instanceId() : instance.name()) + ", "
                            + instance.state()));
                }
            }
        }
        starts.sort(Comparator.comparing(Action::key));
        actions.addAll(starts);
        return actions;
    }

    /** The helper processes an instance needs on this worker; empty when none should run here. */
    static List<Key> keys(String workerId, InstanceChanged instance) {
        List<Integer> gpus = lentGpus(workerId, instance);
        if (gpus.isEmpty()) {
            return List.of();
        }
        String backend = LaunchPlanner.canonicalBackend(instance.launchPlan().backend());
        if (LaunchPlanner.VLLM.equals(backend)) {
            return List.of(Key.rayWorker(instance.instanceId()));
        }
        if (LaunchPlanner.MINDIE.equals(backend)) {
            return MINDIE_MAIN_STARTED.contains(instance.state()) ? List.of(Key.mindieNode(instance.instanceId()))
                    : List.of();
        }
        return gpus.stream().map(gpu -> new Key(instance.instanceId(), gpu)).toList();
    }

    /** The GPUs of this worker an instance's helper processes use; empty when none should run here. */
    static List<Integer> lentGpus(String workerId, InstanceChanged instance) {
        if (instance == null || instance.launchPlan() == null || !Reconciler.PLACED.contains(instance.state())
                || workerId.equals(instance.workerId()) || instance.workerId() == null
                || !SUBORDINATE_BACKENDS.contains(LaunchPlanner.canonicalBackend(instance.launchPlan().backend()))) {
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

    /** Null when this helper process should run, else why not. */
    static String whyNot(String workerId, InstanceChanged instance, Key key) {
        if (instance == null) {
            return "the instance was deleted";
        }
        if (keys(workerId, instance).contains(key)) {
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
        String backend = key.role().backend();
        if (!backend.equals(LaunchPlanner.canonicalBackend(instance.launchPlan().backend()))) {
            return "the instance's backend is no longer " + backend;
        }
        if (key.role() == Role.MINDIE_NODE && !MINDIE_MAIN_STARTED.contains(instance.state())) {
            return "the instance is " + instance.state() + ": a subordinate's MindIE starts once the main worker's "
                    + "is STARTING";
        }
        return "this worker no longer lends GPU " + key.gpuIndex() + " to the instance";
    }
}
