package dev.gpufleet.scheduler.placement.filter;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.WorkerFacts;

import java.util.Arrays;
import java.util.Map;

/**
 * The filters of one request, run in order on each worker; the first that rejects it says why. READY workers only;
 * the worker selector against the worker's labels plus the built-ins {@code os}, {@code arch}, {@code worker-name}
 * and {@code gpu-vendor} (any vendor present); the backend's platform rules (vLLM: Linux, NVIDIA/AMD GPUs; MindIE:
 * Linux on ARM64 or x86_64, Ascend NPUs; vox-box: NVIDIA GPUs or CPU; llama-box: anything, on Windows ARM64 the CPU
 * only); manual GPU selection.
 */
public final class WorkerFilters {
    private final ClusterSnapshot cluster;
    private final Map<String, String> workerSelector;
    private final Backend backend;
    private final SelectedGpus selected;
    private final boolean cpuAllowed;
    private final String backendVersion;

    public WorkerFilters(ClusterSnapshot cluster, Map<String, String> workerSelector, Backend backend,
                         SelectedGpus selected, boolean cpuAllowed) {
        this(cluster, workerSelector, backend, selected, cpuAllowed, null);
    }

    /** @param backendVersion the engine version the model asks for; null for any */
    public WorkerFilters(ClusterSnapshot cluster, Map<String, String> workerSelector, Backend backend,
                         SelectedGpus selected, boolean cpuAllowed, String backendVersion) {
        this.backendVersion = backendVersion;
        this.cluster = cluster;
        this.workerSelector = workerSelector;
        this.backend = backend;
        this.selected = selected;
        this.cpuAllowed = cpuAllowed;
    }

    /** The positions of the workers no filter rejects, in worker-id order. */
    public int[] eligible() {
        int[] eligible = new int[cluster.size()];
        int n = 0;
        for (int w = 0; w < cluster.size(); w++) {
            if (rejection(w) == null) {
                eligible[n++] = w;
            }
        }
        return n == eligible.length ? eligible : Arrays.copyOf(eligible, n);
    }

    /** Null when the worker at {@code position} may take the instance. */
    public Rejection rejection(int position) {
        WorkerFacts f = cluster.facts(position);
        Rejection r = workerSelector(workerSelector, f);
        if (r == null && selected.manual() && !selected.names(position)) {
            r = Rejection.NotSelected.INSTANCE;
        }
        if (r == null) {
            r = state(f);
        }
        if (r == null) {
            r = platform(backend, f, cpuAllowed);
        }
        if (r == null) {
            r = backendVersion(backend, backendVersion, f);
        }
        if (r == null) {
            r = selected.manual()
                    ? selectedGpus(backend, f, selected.gpus(position), selected.missingIndex(position))
                    : usableDevices(backend, cpuAllowed, f);
        }
        return r;
    }

    /** Every selector label must equal the worker's; {@code gpu-vendor}, unless a label, any of its vendors. */
    static Rejection workerSelector(Map<String, String> selector, WorkerFacts f) {
        for (Map.Entry<String, String> e : selector.entrySet()) {
            String have = f.label(e.getKey());
            if (have == null && e.getKey().equals("gpu-vendor")) {
                if (!f.vendors().contains(e.getValue())) {
                    return Rejection.NotSelected.INSTANCE;
                }
            } else if (!e.getValue().equals(have)) {
                return Rejection.NotSelected.INSTANCE;
            }
        }
        return null;
    }

    static Rejection state(WorkerFacts f) {
        WorkerState state = f.worker().state();
        return state == WorkerState.READY ? null : new Rejection.NotReady(state);
    }

    /**
     * The seed's platform rules: vLLM and MindIE on Linux only; MindIE on ARM64 and x86_64 only; llama-box on
     * Windows ARM64 only with CPU offloading (it runs there on the CPU).
     */
    static Rejection platform(Backend backend, WorkerFacts f, boolean cpuAllowed) {
        if (backend.linuxOnly() && !"linux".equalsIgnoreCase(f.os())) {
            return new Rejection.UnsupportedOs(backend, f.os());
        }
        if (!backend.supportsArch(f.arch())) {
            return new Rejection.UnsupportedArch(backend, f.arch());
        }
        if (!backend.usesGpusOn(f) && !cpuAllowed) {
            return new Rejection.CpuOnlyPlatform(backend, f.os(), f.arch(), false);
        }
        return null;
    }

    /** A model that names a {@code backend_version} runs only where that version is reported or registered. */
    static Rejection backendVersion(Backend backend, String version, WorkerFacts f) {
        if (version == null || f.worker().backendVersions().contains(
                dev.gpufleet.scheduler.placement.WorkerCapacity.versionKey(backend.label(), version))) {
            return null;
        }
        String prefix = backend.label() + " ";
        java.util.List<String> has = f.worker().backendVersions().stream().filter(k -> k.startsWith(prefix))
                .map(k -> k.substring(prefix.length())).sorted().toList();
        return new Rejection.MissingBackendVersion(backend, version, has);
    }

    /** Manual selection: every GPU named must exist and be one the backend can use. */
    static Rejection selectedGpus(Backend backend, WorkerFacts f, int[] gpus, Integer missingIndex) {
        if (missingIndex != null) {
            return new Rejection.SelectedGpuMissing(missingIndex);
        }
        if (gpus.length > 0 && !backend.usesGpusOn(f)) {
            return new Rejection.CpuOnlyPlatform(backend, f.os(), f.arch(), true);
        }
        for (int g : gpus) {
            if (!backend.canUse(f.gpu(g))) {
                return new Rejection.SelectedGpuUnusable(f.gpu(g).index(), f.gpu(g).vendor(), backend);
            }
        }
        return null;
    }

    /** Automatic selection: a device the backend can use, unless the instance may run on the CPU. */
    static Rejection usableDevices(Backend backend, boolean cpuAllowed, WorkerFacts f) {
        return !cpuAllowed && backend.usableGpus(f) == 0 ? new Rejection.NoUsableGpu(backend, f.gpuCount() > 0)
                : null;
    }
}
