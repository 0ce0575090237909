package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShapeMemory;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.ClusterSnapshot.Facts;
import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Placement (DESIGN §5): a pure, deterministic function of (cluster snapshot, request) → decision.
 * <p>
 * Filters: READY workers only; the worker selector against the worker's labels plus the built-ins {@code os},
 * {@code arch}, {@code worker-name} and {@code gpu-vendor} (any vendor present); the backend's platform rules
 * (vLLM: Linux, NVIDIA/AMD GPUs; MindIE: Linux, Ascend NPUs; vox-box: one NVIDIA GPU or CPU; llama-box: anything);
 * manual GPU selection. Candidates come in GPUStack's order and the first kind that yields any wins; within a kind
 * the fewest devices (or the most offloaded layers) win, then the best score ({@code spread}: lowest resulting
 * utilisation of the busiest device used; {@code binpack}: highest), then the lower worker id and GPU index.
 */
public final class PlacementEngine {
    static final long GIB = PlacementSettings.GIB;
    /** Placement-failure messages name at most this many workers, then count the rest. */
    static final int MAX_LISTED_WORKERS = 10;
    /** GPUStack's limits on RPC combinations. */
    static final int MAX_RPC_SERVERS = 8;
    static final int MAX_RPC_POOL = 16;
    static final int MAX_RAY_WORKERS = 16;
    static final int MAX_RAY_DEVICES = 64;
    static final int MAX_MINDIE_WORKERS = 16;
    static final int MAX_MINDIE_DEVICES = 128;
    static final String NO_MATCH = "";

    private static final List<Double> ONE_GPU = List.of(1.0);

    enum Backend {
        LLAMA_BOX("llama-box"), VLLM("vllm"), VOX_BOX("vox-box"), MINDIE("mindie");

        final String label;

        Backend(String label) {
            this.label = label;
        }

        static Backend of(String name) {
            for (Backend b : values()) {
                if (b.label.equals(name)) {
                    return b;
                }
            }
            return null;
        }
    }

    private PlacementEngine() {
    }

    public static PlacementDecision place(ClusterSnapshot cluster, PlacementRequest request) {
        Backend backend = Backend.of(request.backend());
        if (backend == null) {
            return new PlacementDecision.NoFit("No suitable workers. backend '" + request.backend()
                    + "' is not one of llama-box, vllm, vox-box, mindie.");
        }
        List<GpuSelection> selections = new ArrayList<>(request.gpuSelector().size());
        for (String entry : request.gpuSelector()) {
            try {
                selections.add(GpuSelection.parse(entry));
            } catch (IllegalArgumentException e) {
                return new PlacementDecision.NoFit("No suitable workers. " + e.getMessage() + ".");
            }
        }
        return new Run(cluster, request, backend, selections).place();
    }

    /** One decision's state: the request's needs, computed once, and the best candidate so far. */
    private static final class Run {
        final ClusterSnapshot cluster;
        final PlacementRequest request;
        final PlacementSettings settings;
        final Backend backend;
        final Strategy strategy;
        final List<GpuSelection> selections;
        final boolean manual;
        final boolean estimated;
        final boolean cpuAllowed;
        /** Selected GPU positions per worker position (manual selection only). */
        final Map<Integer, int[]> selected = new HashMap<>();

        // llama-box
        LayeredSizing layered;
        long[] vramK;
        long[] ramK;
        long cpuRam;
        long multiLowerBound;
        long smallestLayer;
        // vLLM / MindIE
        ShardedSizing sharded;
        double fraction = 1;
        // vox-box, and whole-model fallbacks
        long singleVram;
        long singleRam;
        boolean checkRamOnGpu;

        int[] eligible;
        int eligibleCount;

        Run(ClusterSnapshot cluster, PlacementRequest request, Backend backend, List<GpuSelection> selections) {
            this.cluster = cluster;
            this.request = request;
            this.settings = cluster.settings();
            this.backend = backend;
            this.strategy = request.strategy();
            this.selections = selections;
            this.manual = !selections.isEmpty();
            ResourceEstimate estimate = request.estimate();
            this.estimated = estimate != null;
            this.cpuAllowed = request.cpuOffloading() && (backend == Backend.LLAMA_BOX || backend == Backend.VOX_BOX);
            ModelSizing sizing = estimate == null ? null : estimate.sizing();
            long wholeRam = estimate == null ? 0 : estimate.ramBytes();
            long wholeVram = estimate == null ? 0 : estimate.vramBytes();
            singleVram = wholeVram;
            cpuRam = wholeRam;
            switch (backend) {
                case LLAMA_BOX -> {
                    if (sizing != null && sizing.layered() != null && sizing.layered().layers() > 0) {
                        sizeLayered(sizing.layered());
                    }
                }
                case VLLM, MINDIE -> {
                    if (sizing != null && sizing.sharded() != null) {
                        sharded = sizing.sharded();
                        double f = sharded.usableFraction();
                        fraction = f > 0 && f <= 1 ? f : 1;
                        singleRam = sharded.ramBytes();
                        checkRamOnGpu = true;
                    }
                }
                case VOX_BOX -> {
                    if (sizing != null && sizing.fixed() != null) {
                        FixedSizing fixed = sizing.fixed();
                        if (fixed.gpu() != null) {
                            singleVram = fixed.gpu().vramBytes();
                            singleRam = fixed.gpu().ramBytes();
                            checkRamOnGpu = true;
                        }
                        if (fixed.cpuOnly() != null) {
                            cpuRam = fixed.cpuOnly().ramBytes();
                        }
                    }
                }
            }
        }

        private void sizeLayered(LayeredSizing sizing) {
            layered = sizing;
            int n = sizing.layers();
            vramK = new long[n + 2];
            ramK = new long[n + 2];
            // one GPU's needs for every -ngl, so partial offload is a binary search over an array
            for (int k = 0; k <= n + 1; k++) {
                ShapeMemory m = sizing.memoryFor(k, ONE_GPU);
                vramK[k] = m.vramBytes()[0];
                ramK[k] = m.ramBytes();
            }
            singleVram = vramK[n + 1];
            singleRam = ramK[n + 1];
            checkRamOnGpu = true;
            cpuRam = sizing.memoryFor(0, List.of()).ramBytes();
            long layers = 0;
            long smallest = Long.MAX_VALUE;
            for (long w : sizing.layerWeightBytes()) {
                layers += w + sizing.kvBytesPerLayer();
                smallest = Math.min(smallest, w + sizing.kvBytesPerLayer());
            }
            multiLowerBound = layers + sizing.outputGpuBytes() + sizing.mmprojBytes();
            smallestLayer = smallest + sizing.layerComputeBytes();
        }

        PlacementDecision place() {
            if (manual) {
                resolveSelections();
            }
            eligible = new int[cluster.size()];
            for (int w = 0; w < cluster.size(); w++) {
                if (rejection(w) == null) {
                    eligible[eligibleCount++] = w;
                }
            }
            Cand best = eligibleCount == 0 ? null : manual ? manualCandidate() : automaticCandidate();
            if (best != null && best.impossible == null
                    && (best.shortfalls.isEmpty() || request.allowOvercommit())) {
                return placed(best);
            }
            return noFit(best);
        }

        // ---- filters ---------------------------------------------------------------------------------------

        private void resolveSelections() {
            Map<String, Integer> byName = new HashMap<>();
            for (int w = 0; w < cluster.size(); w++) {
                byName.putIfAbsent(cluster.facts(w).worker.name(), w);
            }
            Map<Integer, List<Integer>> picked = new TreeMap<>();
            for (GpuSelection s : selections) {
                Integer w = byName.get(s.workerName());
                if (w != null) {
                    Facts f = cluster.facts(w);
                    int g = f.position(s.index());
                    // -1 marks a GPU the worker does not have (or not of that type): a per-worker reason
                    boolean exists = g >= 0 && f.gpus[g].type().equalsIgnoreCase(s.type());
                    picked.computeIfAbsent(w, k -> new ArrayList<>()).add(exists ? g : -1 - s.index());
                }
            }
            picked.forEach((w, gs) -> selected.put(w, gs.stream().distinct().sorted().mapToInt(Integer::intValue)
                    .toArray()));
        }

        /** Null when the worker may take the instance, {@link #NO_MATCH} when the selectors leave it out. */
        String rejection(int w) {
            Facts f = cluster.facts(w);
            if (!matches(f)) {
                return NO_MATCH;
            }
            if (manual && !selected.containsKey(w)) {
                return NO_MATCH;
            }
            if (f.worker.state() != WorkerState.READY) {
                return f.worker.state() == null ? "state unknown" : f.worker.state().name();
            }
            if ((backend == Backend.VLLM || backend == Backend.MINDIE) && !"linux".equalsIgnoreCase(f.os)) {
                return backend.label + " runs on Linux only, this worker runs " + (f.os.isEmpty() ? "an unknown OS"
                        : f.os);
            }
            if (manual) {
                for (int g : selected.get(w)) {
                    if (g < 0) {
                        return "gpu_selector names GPU " + (-1 - g) + ", which this worker does not have";
                    }
                    if (!gpuOk(f, g)) {
                        return "gpu_selector names GPU " + f.gpus[g].index() + " (" + f.gpus[g].vendor()
                                + "), which " + backend.label + " cannot use";
                    }
                }
                return null;
            }
            if (!cpuAllowed && usableGpus(f) == 0) {
                if (f.gpuCount == 0) {
                    return backend == Backend.LLAMA_BOX || backend == Backend.VOX_BOX
                            ? "no GPU, and cpu_offloading is off" : "no GPU, and " + backend.label + " needs one";
                }
                return "no " + vendorsNeeded() + ", and " + backend.label + " needs one";
            }
            return null;
        }

        private String vendorsNeeded() {
            return switch (backend) {
                case VLLM -> "NVIDIA or AMD GPU";
                case MINDIE -> "Ascend NPU";
                case VOX_BOX -> "NVIDIA GPU";
                case LLAMA_BOX -> "GPU";
            };
        }

        private boolean matches(Facts f) {
            for (Map.Entry<String, String> e : request.workerSelector().entrySet()) {
                String have = f.labels.get(e.getKey());
                if (have == null && e.getKey().equals("gpu-vendor")) {
                    if (!f.vendors.contains(e.getValue())) {
                        return false;
                    }
                } else if (!e.getValue().equals(have)) {
                    return false;
                }
            }
            return true;
        }

        boolean gpuOk(Facts f, int g) {
            GpuCapacity gpu = f.gpus[g];
            return switch (backend) {
                case LLAMA_BOX -> true;
                case VLLM -> gpu.vendor().equals("nvidia") || gpu.vendor().equals("amd")
                        || gpu.type().equals("cuda") || gpu.type().equals("rocm");
                case MINDIE -> gpu.vendor().equals("ascend") || gpu.type().equals("npu");
                case VOX_BOX -> gpu.vendor().equals("nvidia") || gpu.type().equals("cuda");
            };
        }

        int usableGpus(Facts f) {
            int n = 0;
            for (int g = 0; g < f.gpuCount; g++) {
                if (gpuOk(f, g)) {
                    n++;
                }
            }
            return n;
        }

        long measured(Facts f, int g, long need) {
            if (request.measuredVramByProduct().isEmpty()) {
                return need;
            }
            Long seen = request.measuredVramByProduct().get(f.gpus[g].productName());
            return seen == null ? need : Math.max(need, seen);
        }

        // ---- automatic candidates --------------------------------------------------------------------------

        Cand automaticCandidate() {
            Cand best = null;
            switch (backend) {
                case LLAMA_BOX -> {
                    best = singleGpu();
                    if (best == null && layered != null) {
                        best = multiGpuLayered();
                    }
                    if (best == null && layered != null && request.distributedInference()) {
                        best = rpc();
                    }
                    if (best == null && layered != null && request.cpuOffloading()) {
                        best = partialOffload();
                    }
                    if (best == null && cpuAllowed) {
                        best = cpuOnly();
                    }
                }
                case VLLM, MINDIE -> {
                    if (sharded == null) {
                        best = singleGpu();
                    } else {
                        best = shardedOnOneWorker();
                        if (best == null && request.distributedInference()) {
                            best = backend == Backend.VLLM ? ray() : mindieAcrossWorkers();
                        }
                    }
                }
                case VOX_BOX -> {
                    best = singleGpu();
                    if (best == null && cpuAllowed) {
                        best = cpuOnly();
                    }
                }
            }
            return best;
        }

        /** The whole model on one GPU (llama-box all layers, vox-box, and any backend without a sizing). */
        Cand singleGpu() {
            Cand best = null;
            long ram = checkRamOnGpu ? singleRam : 0;
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (f.maxAlloc < singleVram || f.allocRam < ram) {
                    continue;
                }
                for (int g = 0; g < f.gpuCount; g++) {
                    if (!gpuOk(f, g)) {
                        continue;
                    }
                    long need = measured(f, g, singleVram);
                    if (f.alloc[g] < need) {
                        continue;
                    }
                    double score = score(gpuUtil(f, g, need));
                    if (best == null || score > best.score) {
                        best = new Cand(PlacementShape.Kind.SINGLE_GPU, eligible[i], new int[]{g}, new long[]{need},
                                ram, score);
                        best.gpuLayers = LayeredSizing.ALL_LAYERS;
                    }
                }
            }
            return best;
        }

        /** llama-box over several GPUs of one worker, shares ∝ allocatable; the fewest GPUs win. */
        Cand multiGpuLayered() {
            Cand best = null;
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (f.gpuCount < 2 || f.sumAlloc < multiLowerBound || f.allocRam < singleRam) {
                    continue;
                }
                int[] free = usableByFree(f);
                int maxK = best == null ? free.length : Math.min(free.length, best.gpus.length);
                long sum = f.alloc[free[0]];
                for (int k = 2; k <= maxK; k++) {
                    sum += f.alloc[free[k - 1]];
                    if (sum < multiLowerBound) {
                        continue;
                    }
                    int[] chosen = Arrays.copyOf(free, k);
                    Arrays.sort(chosen);
                    double[] shares = sharesOf(f, chosen);
                    long[] vram = layered.memoryFor(LayeredSizing.ALL_LAYERS, boxed(shares)).vramBytes();
                    if (!fitsAll(f, chosen, vram)) {
                        continue;
                    }
                    double score = score(gpusUtil(f, chosen, vram));
                    if (best == null || k < best.gpus.length || score > best.score) {
                        best = new Cand(PlacementShape.Kind.MULTI_GPU, eligible[i], chosen, vram, singleRam, score);
                        best.gpuLayers = LayeredSizing.ALL_LAYERS;
                        best.shares = shares;
                    }
                    break;
                }
            }
            return best;
        }

        /** llama-box with RPC servers: the worker with the most free VRAM leads, other workers' GPUs join. */
        Cand rpc() {
            int main = -1;
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (usableGpus(f) > 0 && f.allocRam >= singleRam
                        && (main < 0 || f.sumAlloc > cluster.facts(main).sumAlloc)) {
                    main = eligible[i];
                }
            }
            if (main < 0) {
                return null;
            }
            List<long[]> pool = new ArrayList<>(); // {alloc, worker, gpu}
            for (int i = 0; i < eligibleCount; i++) {
                int w = eligible[i];
                Facts f = cluster.facts(w);
                if (w == main || f.allocRam < settings.rpcServerRamBytes()) {
                    continue;
                }
                for (int g = 0; g < f.gpuCount; g++) {
                    if (gpuOk(f, g) && f.alloc[g] >= smallestLayer) {
                        pool.add(new long[]{f.alloc[g], w, g});
                    }
                }
            }
            if (pool.isEmpty()) {
                return null;
            }
            pool.sort((a, b) -> a[0] != b[0] ? Long.compare(b[0], a[0])
                    : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
            if (pool.size() > MAX_RPC_POOL) {
                pool = pool.subList(0, MAX_RPC_POOL);
            }
            Facts lead = cluster.facts(main);
            int[] mainGpus = new int[usableGpus(lead)];
            for (int g = 0, n = 0; g < lead.gpuCount; g++) {
                if (gpuOk(lead, g)) {
                    mainGpus[n++] = g;
                }
            }
            for (int m = 1; m <= Math.min(MAX_RPC_SERVERS, pool.size()); m++) {
                List<long[]> chosen = new ArrayList<>(pool.subList(0, m));
                chosen.sort((a, b) -> a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
                Cand c = distributedLayered(main, mainGpus, chosen);
                if (c != null && c.shortfalls.isEmpty()) {
                    return c;
                }
            }
            return null;
        }

        /** Sizes llama-box over the main worker's GPUs then the RPC GPUs ({worker, gpu} rows by worker). */
        Cand distributedLayered(int main, int[] mainGpus, List<long[]> subGpus) {
            Facts lead = cluster.facts(main);
            int total = mainGpus.length + subGpus.size();
            double[] shares = new double[total];
            double sum = 0;
            for (int i = 0; i < mainGpus.length; i++) {
                shares[i] = Math.max(1, lead.alloc[mainGpus[i]]);
                sum += shares[i];
            }
            for (int i = 0; i < subGpus.size(); i++) {
                long[] row = subGpus.get(i);
                shares[mainGpus.length + i] = Math.max(1, cluster.facts((int) row[1]).alloc[(int) row[2]]);
                sum += shares[mainGpus.length + i];
            }
            for (int i = 0; i < total; i++) {
                shares[i] = round(shares[i] / sum);
            }
            long[] vram = layered == null ? evenly(singleVram, total)
                    : layered.memoryFor(LayeredSizing.ALL_LAYERS, boxed(shares)).vramBytes();
            Cand c = new Cand(PlacementShape.Kind.DISTRIBUTED, main, mainGpus, Arrays.copyOf(vram, mainGpus.length),
                    singleRam, 0);
            c.gpuLayers = LayeredSizing.ALL_LAYERS;
            c.shares = shares;
            checkFits(c, lead, mainGpus, c.vram);
            if (lead.allocRam < singleRam) {
                c.shortfalls.add(lead.worker.name() + " needs " + gib(singleRam) + " RAM, " + gib(lead.allocRam)
                        + " allocatable");
            }
            Map<Integer, List<Integer>> byWorker = new LinkedHashMap<>();
            Map<Integer, List<Long>> vramByWorker = new LinkedHashMap<>();
            for (int i = 0; i < subGpus.size(); i++) {
                long[] row = subGpus.get(i);
                byWorker.computeIfAbsent((int) row[1], k -> new ArrayList<>()).add((int) row[2]);
                vramByWorker.computeIfAbsent((int) row[1], k -> new ArrayList<>()).add(vram[mainGpus.length + i]);
            }
            double util = gpusUtil(lead, mainGpus, c.vram);
            for (Map.Entry<Integer, List<Integer>> e : byWorker.entrySet()) {
                Facts f = cluster.facts(e.getKey());
                int[] gs = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                long[] vs = vramByWorker.get(e.getKey()).stream().mapToLong(Long::longValue).toArray();
                long ram = settings.rpcServerRamBytes() * gs.length;
                checkFits(c, f, gs, vs);
                if (f.allocRam < ram) {
                    c.shortfalls.add(f.worker.name() + " needs " + gib(ram) + " RAM for its RPC servers, "
                            + gib(f.allocRam) + " allocatable");
                }
                c.subs.add(new Sub(e.getKey(), gs, vs, ram));
                util = Math.max(util, gpusUtil(f, gs, vs));
            }
            c.score = score(util);
            return c;
        }

        /** llama-box: the most layers that fit on one GPU, the rest in RAM. */
        Cand partialOffload() {
            Cand best = null;
            int n = layered.layers();
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (f.maxAlloc < vramK[1]) {
                    continue;
                }
                for (int g = 0; g < f.gpuCount; g++) {
                    if (!gpuOk(f, g) || f.alloc[g] < vramK[1]) {
                        continue;
                    }
                    int lo = 1;
                    int hi = n;
                    while (lo < hi) {
                        int mid = (lo + hi + 1) >>> 1;
                        if (vramK[mid] <= f.alloc[g]) {
                            lo = mid;
                        } else {
                            hi = mid - 1;
                        }
                    }
                    // fewer layers on the GPU only need more RAM, so this k is the only one to check
                    if (ramK[lo] > f.allocRam || (best != null && lo < best.gpuLayers)) {
                        continue;
                    }
                    double score = score(gpuUtil(f, g, vramK[lo]));
                    if (best == null || lo > best.gpuLayers || score > best.score) {
                        best = new Cand(PlacementShape.Kind.PARTIAL_OFFLOAD, eligible[i], new int[]{g},
                                new long[]{vramK[lo]}, ramK[lo], score);
                        best.gpuLayers = lo;
                    }
                }
            }
            return best;
        }

        Cand cpuOnly() {
            Cand best = null;
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (f.allocRam < cpuRam) {
                    continue;
                }
                double score = score(ramUtil(f, cpuRam));
                if (best == null || score > best.score) {
                    best = new Cand(PlacementShape.Kind.CPU_ONLY, eligible[i], new int[0], new long[0], cpuRam,
                            score);
                }
            }
            return best;
        }

        /** vLLM or MindIE on n devices of one worker, n ascending over the counts the engine allows. */
        Cand shardedOnOneWorker() {
            int maxGpus = 0;
            for (int i = 0; i < eligibleCount; i++) {
                maxGpus = Math.max(maxGpus, cluster.facts(eligible[i]).gpuCount);
            }
            for (int n = 1; n <= maxGpus; n++) {
                if (!sharded.allowsDeviceCount(n)) {
                    continue;
                }
                long perDevice = sharded.perDeviceBytes(n);
                Cand best = null;
                for (int i = 0; i < eligibleCount; i++) {
                    Facts f = cluster.facts(eligible[i]);
                    if (f.gpuCount < n || f.allocRam < singleRam) {
                        continue;
                    }
                    if (countSharded(f, perDevice, n) < n) {
                        continue;
                    }
                    int[] chosen = pickSharded(f, n, perDevice);
                    long[] claims = shardClaims(f, chosen);
                    double score = score(gpusUtil(f, chosen, claims));
                    if (best == null || score > best.score) {
                        best = new Cand(n == 1 ? PlacementShape.Kind.SINGLE_GPU : PlacementShape.Kind.MULTI_GPU,
                                eligible[i], chosen, claims, singleRam, score);
                        best.tp = n;
                    }
                }
                if (best != null) {
                    return best;
                }
            }
            return null;
        }

        /** n GPUs of the worker that can each take a shard, most free first (binpack: least free), by index. */
        int[] pickSharded(Facts f, int n, long perDevice) {
            int[] chosen = new int[n];
            int found = 0;
            for (int j = 0; j < f.gpuCount && found < n; j++) {
                int g = f.byFree[strategy == Strategy.BINPACK ? f.gpuCount - 1 - j : j];
                if (shardFits(f, g, perDevice, n)) {
                    chosen[found++] = g;
                }
            }
            if (found < n) {
                return null;
            }
            Arrays.sort(chosen);
            return chosen;
        }

        int countSharded(Facts f, long perDevice, int n) {
            int found = 0;
            for (int g = 0; g < f.gpuCount; g++) {
                if (shardFits(f, g, perDevice, n)) {
                    found++;
                }
            }
            return found;
        }

        boolean shardFits(Facts f, int g, long perDevice, int n) {
            GpuCapacity gpu = f.gpus[g];
            return gpuOk(f, g) && gpu.totalBytes() >= perDevice
                    && f.alloc[g] >= shardClaim(f, g, n);
        }

        /** The engine takes its usable fraction of every device, whatever the model needs. */
        long shardClaim(Facts f, int g, int n) {
            long claim = (long) Math.ceil(fraction * f.gpus[g].totalBytes());
            return n == 1 ? measured(f, g, claim) : claim;
        }

        long[] shardClaims(Facts f, int[] gpus) {
            long[] claims = new long[gpus.length];
            for (int i = 0; i < gpus.length; i++) {
                claims[i] = shardClaim(f, gpus[i], gpus.length);
            }
            return claims;
        }

        /** vLLM with Ray: k workers × g GPUs each, the smallest total first; workers in no other Ray group. */
        Cand ray() {
            for (int total = 2; total <= MAX_RAY_DEVICES; total++) {
                if (!sharded.allowsDeviceCount(total)) {
                    continue;
                }
                long perDevice = sharded.perDeviceBytes(total);
                for (int g = Math.min(8, total / 2); g >= 1; g--) {
                    int k = total / g;
                    if (total % g != 0 || k > MAX_RAY_WORKERS) {
                        continue;
                    }
                    Cand c = rayGroup(k, g, perDevice);
                    if (c != null) {
                        return c;
                    }
                }
            }
            return null;
        }

        Cand rayGroup(int k, int g, long perDevice) {
            // cheap count first: most (size, count) pairs fail, and should fail without allocating
            int able = 0;
            for (int i = 0; i < eligibleCount && able < k; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (f.worker.distributedVllmModels().isEmpty() && f.gpuCount >= g && f.allocRam >= singleRam
                        && countSharded(f, perDevice, g) >= g) {
                    able++;
                }
            }
            if (able < k) {
                return null;
            }
            List<Object[]> members = new ArrayList<>(); // {worker, gpus, claims, util}
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (!f.worker.distributedVllmModels().isEmpty() || f.gpuCount < g || f.allocRam < singleRam) {
                    continue;
                }
                int[] chosen = pickSharded(f, g, perDevice);
                if (chosen == null) {
                    continue;
                }
                long[] claims = new long[g];
                for (int j = 0; j < g; j++) {
                    claims[j] = (long) Math.ceil(fraction * f.gpus[chosen[j]].totalBytes());
                }
                members.add(new Object[]{eligible[i], chosen, claims, score(gpusUtil(f, chosen, claims))});
            }
            if (members.size() < k) {
                return null;
            }
            // best score first; a stable sort keeps worker-id order among equals
            members.sort((a, b) -> Double.compare((double) b[3], (double) a[3]));
            Object[] lead = members.get(0);
            Cand c = new Cand(PlacementShape.Kind.DISTRIBUTED, (int) lead[0], (int[]) lead[1], (long[]) lead[2],
                    singleRam, (double) lead[3]);
            c.tp = g;
            c.pp = k;
            List<Object[]> rest = new ArrayList<>(members.subList(1, k));
            rest.sort((a, b) -> Integer.compare((int) a[0], (int) b[0]));
            for (Object[] m : rest) {
                c.subs.add(new Sub((int) m[0], (int[]) m[1], (long[]) m[2], singleRam));
                c.score = Math.min(c.score, (double) m[3]);
            }
            return c;
        }

        /**
         * MindIE across workers (GPUStack's {@code initialize_later}): k workers lend L NPUs each, L and k powers of
         * two, so the world size L × k is one too and must divide the attention heads (MindIE's tensor parallel size
         * is the world size). The smallest world size that holds the model first, then the largest L (the fewest
         * workers): L is at most the largest power of two ≤ each member's fitting NPUs. Only NPUs with a device IP
         * can be listed in the rank table, and a worker takes part in one such instance (its
         * {@code multiNodesInferPort} is fixed).
         */
        Cand mindieAcrossWorkers() {
            int maxLocal = 0;
            for (int i = 0; i < eligibleCount; i++) {
                maxLocal = Math.max(maxLocal, cluster.facts(eligible[i]).gpuCount);
            }
            for (int world = 2; world <= MAX_MINDIE_DEVICES; world <<= 1) {
                if (!sharded.allowsDeviceCount(world)) {
                    continue;
                }
                long perDevice = sharded.perDeviceBytes(world);
                for (int local = Integer.highestOneBit(Math.min(maxLocal, world / 2)); local >= 1; local >>= 1) {
                    int k = world / local;
                    if (k > MAX_MINDIE_WORKERS) {
                        break;
                    }
                    Cand c = mindieGroup(k, local, perDevice);
                    if (c != null) {
                        return c;
                    }
                }
            }
            return null;
        }

        Cand mindieGroup(int k, int local, long perDevice) {
            int able = 0;
            for (int i = 0; i < eligibleCount && able < k; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (mindieMember(f, local) && countMindieNpus(f, perDevice) >= local) {
                    able++;
                }
            }
            if (able < k) {
                return null;
            }
            List<Object[]> members = new ArrayList<>(); // {worker, npus, claims, score}
            for (int i = 0; i < eligibleCount; i++) {
                Facts f = cluster.facts(eligible[i]);
                if (!mindieMember(f, local)) {
                    continue;
                }
                int[] chosen = pickMindieNpus(f, local, perDevice);
                if (chosen == null) {
                    continue;
                }
                long[] claims = new long[local];
                for (int j = 0; j < local; j++) {
                    claims[j] = fullClaim(f, chosen[j]);
                }
                members.add(new Object[]{eligible[i], chosen, claims, score(gpusUtil(f, chosen, claims))});
            }
            // best score first leads; a stable sort keeps worker-id order among equals
            members.sort((a, b) -> Double.compare((double) b[3], (double) a[3]));
            Object[] lead = members.get(0);
            Cand c = new Cand(PlacementShape.Kind.DISTRIBUTED, (int) lead[0], (int[]) lead[1], (long[]) lead[2],
                    singleRam, (double) lead[3]);
            c.tp = local * k;
            List<Object[]> rest = new ArrayList<>(members.subList(1, k));
            rest.sort((a, b) -> Integer.compare((int) a[0], (int) b[0]));
            for (Object[] m : rest) {
                c.subs.add(new Sub((int) m[0], (int[]) m[1], (long[]) m[2], singleRam));
                c.score = Math.min(c.score, (double) m[3]);
            }
            return c;
        }

        /** Every node runs a whole MindIE process: it needs the model's RAM. */
        boolean mindieMember(Facts f, int local) {
            return f.worker.distributedMindieModels().isEmpty() && f.gpuCount >= local && f.allocRam >= singleRam;
        }

        boolean mindieNpuFits(Facts f, int g, long perDevice) {
            return f.gpus[g].deviceIp() != null && gpuOk(f, g) && f.gpus[g].totalBytes() >= perDevice
                    && f.alloc[g] >= fullClaim(f, g);
        }

        int countMindieNpus(Facts f, long perDevice) {
            int found = 0;
            for (int g = 0; g < f.gpuCount; g++) {
                if (mindieNpuFits(f, g, perDevice)) {
                    found++;
                }
            }
            return found;
        }

        int[] pickMindieNpus(Facts f, int n, long perDevice) {
            int[] chosen = new int[n];
            int found = 0;
            for (int j = 0; j < f.gpuCount && found < n; j++) {
                int g = f.byFree[strategy == Strategy.BINPACK ? f.gpuCount - 1 - j : j];
                if (mindieNpuFits(f, g, perDevice)) {
                    chosen[found++] = g;
                }
            }
            if (found < n) {
                return null;
            }
            Arrays.sort(chosen);
            return chosen;
        }

        /** The engine's usable fraction of the whole device, as every multi-device claim. */
        long fullClaim(Facts f, int g) {
            return (long) Math.ceil(fraction * f.gpus[g].totalBytes());
        }

        // ---- manual GPU selection --------------------------------------------------------------------------

        /** Exactly the selected GPUs; shortfalls are kept so overcommit can place it anyway, with a warning. */
        Cand manualCandidate() {
            int[] workers = Arrays.copyOf(eligible, eligibleCount);
            if (workers.length == 1) {
                int w = workers[0];
                Facts f = cluster.facts(w);
                int[] gpus = selected.get(w);
                return switch (backend) {
                    case LLAMA_BOX -> manualLayered(w, f, gpus);
                    case VLLM, MINDIE -> manualSharded(w, f, gpus);
                    case VOX_BOX -> gpus.length == 1 ? exactSingle(w, f, gpus[0])
                            : rejected(w, "vox-box runs on one GPU, gpu_selector names " + gpus.length);
                };
            }
            if (selections.size() != countSelected(workers)) {
                return null;
            }
            return switch (backend) {
                case LLAMA_BOX -> manualRpc(workers);
                case VLLM -> manualRay(workers);
                case MINDIE -> manualMindie(workers);
                case VOX_BOX -> rejected(workers[0], backend.label
                        + " runs on one worker, gpu_selector names GPUs of " + workers.length);
            };
        }

        private int countSelected(int[] workers) {
            int n = 0;
            for (int w : workers) {
                n += selected.get(w).length;
            }
            return n;
        }

        Cand rejected(int w, String why) {
            Cand c = new Cand(PlacementShape.Kind.SINGLE_GPU, w, new int[0], new long[0], 0, 0);
            c.impossible = why;
            return c;
        }

        Cand manualLayered(int w, Facts f, int[] gpus) {
            if (gpus.length == 1) {
                Cand full = exactSingle(w, f, gpus[0]);
                if (full.shortfalls.isEmpty() || layered == null || !request.cpuOffloading()) {
                    return full;
                }
                int g = gpus[0];
                for (int k = layered.layers(); k >= 1; k--) {
                    if (vramK[k] <= f.alloc[g] && ramK[k] <= f.allocRam) {
                        Cand c = new Cand(PlacementShape.Kind.PARTIAL_OFFLOAD, w, gpus, new long[]{vramK[k]},
                                ramK[k], score(gpuUtil(f, g, vramK[k])));
                        c.gpuLayers = k;
                        return c;
                    }
                }
                return full;
            }
            double[] shares = sharesOf(f, gpus);
            long[] vram = layered == null ? evenly(singleVram, gpus.length)
                    : layered.memoryFor(LayeredSizing.ALL_LAYERS, boxed(shares)).vramBytes();
            Cand c = new Cand(PlacementShape.Kind.MULTI_GPU, w, gpus, vram, layered == null ? 0 : singleRam,
                    score(gpusUtil(f, gpus, vram)));
            c.gpuLayers = LayeredSizing.ALL_LAYERS;
            c.shares = shares;
            checkFits(c, f, gpus, vram);
            checkRam(c, f, c.ram);
            return c;
        }

        Cand exactSingle(int w, Facts f, int g) {
            long need = measured(f, g, sharded == null ? singleVram : shardClaim(f, g, 1));
            long ram = checkRamOnGpu ? singleRam : 0;
            Cand c = new Cand(PlacementShape.Kind.SINGLE_GPU, w, new int[]{g}, new long[]{need}, ram,
                    score(gpuUtil(f, g, need)));
            c.gpuLayers = LayeredSizing.ALL_LAYERS;
            checkFits(c, f, c.gpus, c.vram);
            checkRam(c, f, ram);
            return c;
        }

        Cand manualSharded(int w, Facts f, int[] gpus) {
            int n = gpus.length;
            if (sharded == null) {
                return n == 1 ? exactSingle(w, f, gpus[0]) : evenlyOn(w, f, gpus);
            }
            if (!sharded.allowsDeviceCount(n)) {
                return rejected(w, deviceCountProblem(n));
            }
            long[] claims = shardClaims(f, gpus);
            Cand c = new Cand(n == 1 ? PlacementShape.Kind.SINGLE_GPU : PlacementShape.Kind.MULTI_GPU, w, gpus,
                    claims, singleRam, score(gpusUtil(f, gpus, claims)));
            c.tp = n;
            checkSharded(c, f, gpus, sharded.perDeviceBytes(n));
            checkFits(c, f, gpus, claims);
            checkRam(c, f, singleRam);
            return c;
        }

        private Cand evenlyOn(int w, Facts f, int[] gpus) {
            long[] vram = evenly(singleVram, gpus.length);
            Cand c = new Cand(PlacementShape.Kind.MULTI_GPU, w, gpus, vram, 0, score(gpusUtil(f, gpus, vram)));
            c.tp = gpus.length;
            checkFits(c, f, gpus, vram);
            return c;
        }

        Cand manualRpc(int[] workers) {
            int main = workers[0];
            for (int w : workers) {
                if (selectedAlloc(w) > selectedAlloc(main)) {
                    main = w;
                }
            }
            List<long[]> subs = new ArrayList<>();
            for (int w : workers) {
                if (w != main) {
                    for (int g : selected.get(w)) {
                        subs.add(new long[]{0, w, g});
                    }
                }
            }
            return distributedLayered(main, selected.get(main), subs);
        }

        private long selectedAlloc(int w) {
            long sum = 0;
            for (int g : selected.get(w)) {
                sum += cluster.facts(w).alloc[g];
            }
            return sum;
        }

        Cand manualRay(int[] workers) {
            int g = selected.get(workers[0]).length;
            for (int w : workers) {
                if (selected.get(w).length != g) {
                    return rejected(w, "vllm across workers needs the same GPU count on every worker");
                }
            }
            int total = g * workers.length;
            if (sharded != null && !sharded.allowsDeviceCount(total)) {
                return rejected(workers[0], deviceCountProblem(total));
            }
            // the worker with the most selected free VRAM leads
            int main = workers[0];
            for (int w : workers) {
                if (selectedAlloc(w) > selectedAlloc(main)) {
                    main = w;
                }
            }
            Cand c = null;
            for (int w : workers) {
                Facts f = cluster.facts(w);
                int[] gpus = selected.get(w);
                long[] claims = sharded == null ? evenly(singleVram / workers.length, g) : shardClaims(f, gpus);
                if (c == null && w == main) {
                    c = new Cand(PlacementShape.Kind.DISTRIBUTED, w, gpus, claims, singleRam, 100);
                }
            }
            c.tp = g;
            c.pp = workers.length;
            double util = 0;
            for (int w : workers) {
                Facts f = cluster.facts(w);
                int[] gpus = selected.get(w);
                long[] claims = sharded == null ? evenly(singleVram / workers.length, g) : shardClaims(f, gpus);
                if (sharded != null) {
                    checkSharded(c, f, gpus, sharded.perDeviceBytes(total));
                }
                checkFits(c, f, gpus, claims);
                checkRam(c, f, singleRam);
                if (!f.worker.distributedVllmModels().isEmpty()) {
                    c.impossible = f.worker.name() + " already takes part in a distributed vLLM instance ("
                            + String.join(", ", f.worker.distributedVllmModels()) + ")";
                }
                if (w != main) {
                    c.subs.add(new Sub(w, gpus, claims, singleRam));
                }
                util = Math.max(util, gpusUtil(f, gpus, claims));
            }
            c.score = score(util);
            return c;
        }

        /** MindIE on exactly the selected NPUs of several workers: the same power-of-two count on each. */
        Cand manualMindie(int[] workers) {
            int n = selected.get(workers[0]).length;
            boolean same = true;
            for (int w : workers) {
                same &= selected.get(w).length == n;
            }
            if (!same || Integer.bitCount(n) != 1) {
                List<String> counts = new ArrayList<>();
                for (int w : workers) {
                    counts.add(selected.get(w).length + " on " + cluster.facts(w).worker.name());
                }
                return rejected(workers[0], "mindie across workers needs the same power-of-two NPU count on every"
                        + " selected worker, gpu_selector names " + String.join(", ", counts));
            }
            int world = n * workers.length;
            if (sharded != null ? !sharded.allowsDeviceCount(world) : Integer.bitCount(world) != 1) {
                return rejected(workers[0], sharded != null ? deviceCountProblem(world)
                        : backend.label + " needs a power-of-two device count, gpu_selector gives " + world);
            }
            int main = workers[0];
            for (int w : workers) {
                if (selectedAlloc(w) > selectedAlloc(main)) {
                    main = w;
                }
            }
            Facts lead = cluster.facts(main);
            Cand c = new Cand(PlacementShape.Kind.DISTRIBUTED, main, selected.get(main),
                    mindieManualClaims(lead, selected.get(main), workers.length), singleRam, 0);
            c.tp = world;
            double util = 0;
            List<String> withoutIp = new ArrayList<>();
            for (int w : workers) {
                Facts f = cluster.facts(w);
                int[] npus = selected.get(w);
                long[] claims = w == main ? c.vram : mindieManualClaims(f, npus, workers.length);
                if (sharded != null) {
                    checkSharded(c, f, npus, sharded.perDeviceBytes(world));
                }
                checkFits(c, f, npus, claims);
                checkRam(c, f, singleRam);
                for (int g : npus) {
                    if (f.gpus[g].deviceIp() == null) {
                        withoutIp.add(f.worker.name() + " NPU " + f.gpus[g].index());
                    }
                }
                if (!f.worker.distributedMindieModels().isEmpty() && c.impossible == null) {
                    c.impossible = f.worker.name() + " already takes part in a MindIE instance across workers ("
                            + String.join(", ", f.worker.distributedMindieModels()) + ")";
                }
                if (w != main) {
                    c.subs.add(new Sub(w, npus, claims, singleRam));
                }
                util = Math.max(util, gpusUtil(f, npus, claims));
            }
            if (!withoutIp.isEmpty()) {
                c.impossible = String.join(", ", withoutIp) + (withoutIp.size() == 1 ? " has" : " have")
                        + " no device IP (hccn_tool), which the rank table of mindie across workers needs";
            }
            c.score = score(util);
            return c;
        }

        private long[] mindieManualClaims(Facts f, int[] npus, int workerCount) {
            if (sharded == null) {
                return evenly(singleVram / workerCount, npus.length);
            }
            long[] claims = new long[npus.length];
            for (int i = 0; i < npus.length; i++) {
                claims[i] = fullClaim(f, npus[i]);
            }
            return claims;
        }

        private String deviceCountProblem(int n) {
            if (sharded.powerOfTwoDevices() && Integer.bitCount(n) != 1) {
                return backend.label + " needs a power-of-two device count, gpu_selector gives " + n;
            }
            return n + " devices do not divide the model's " + sharded.attentionHeads() + " attention heads";
        }

        void checkSharded(Cand c, Facts f, int[] gpus, long perDevice) {
            for (int g : gpus) {
                if (f.gpus[g].totalBytes() < perDevice) {
                    c.shortfalls.add(f.worker.name() + " GPU " + f.gpus[g].index() + " has " + gib(f.gpus[g]
                            .totalBytes()) + ", each of " + gpus.length + " needs " + gib(perDevice));
                }
            }
        }

        void checkFits(Cand c, Facts f, int[] gpus, long[] vram) {
            for (int i = 0; i < gpus.length; i++) {
                if (vram[i] > f.alloc[gpus[i]]) {
                    c.shortfalls.add(f.worker.name() + " GPU " + f.gpus[gpus[i]].index() + " needs "
                            + gib(vram[i]) + ", " + gib(f.alloc[gpus[i]]) + " allocatable");
                }
            }
        }

        void checkRam(Cand c, Facts f, long ram) {
            if (ram > f.allocRam) {
                c.shortfalls.add(f.worker.name() + " needs " + gib(ram) + " RAM, " + gib(f.allocRam)
                        + " allocatable");
            }
        }

        // ---- scoring and helpers ---------------------------------------------------------------------------

        double score(double util) {
            double u = Math.min(1, Math.max(0, util));
            return strategy == Strategy.BINPACK ? 100 * u : 100 * (1 - u);
        }

        /** The share of the GPU's usable memory in use once {@code claim} is added. */
        double gpuUtil(Facts f, int g, long claim) {
            return (double) (f.usable[g] - f.alloc[g] + claim) / f.usable[g];
        }

        double gpusUtil(Facts f, int[] gpus, long[] vram) {
            double max = 0;
            for (int i = 0; i < gpus.length; i++) {
                max = Math.max(max, gpuUtil(f, gpus[i], vram[i]));
            }
            return max;
        }

        double ramUtil(Facts f, long ram) {
            return (double) (f.usableRam - f.allocRam + ram) / f.usableRam;
        }

        int[] usableByFree(Facts f) {
            int[] out = new int[f.gpuCount];
            int n = 0;
            for (int j = 0; j < f.gpuCount; j++) {
                if (gpuOk(f, f.byFree[j])) {
                    out[n++] = f.byFree[j];
                }
            }
            return n == out.length ? out : Arrays.copyOf(out, n);
        }

        boolean fitsAll(Facts f, int[] gpus, long[] vram) {
            for (int i = 0; i < gpus.length; i++) {
                if (vram[i] > f.alloc[gpus[i]]) {
                    return false;
                }
            }
            return true;
        }

        double[] sharesOf(Facts f, int[] gpus) {
            double sum = 0;
            for (int g : gpus) {
                sum += Math.max(1, f.alloc[g]);
            }
            double[] shares = new double[gpus.length];
            for (int i = 0; i < gpus.length; i++) {
                shares[i] = round(Math.max(1, f.alloc[gpus[i]]) / sum);
            }
            return shares;
        }

        // ---- decisions -------------------------------------------------------------------------------------

        PlacementDecision placed(Cand c) {
            Facts f = cluster.facts(c.worker);
            Map<Integer, Long> vram = new TreeMap<>();
            List<Integer> indexes = new ArrayList<>(c.gpus.length);
            for (int i = 0; i < c.gpus.length; i++) {
                int index = f.gpus[c.gpus[i]].index();
                indexes.add(index);
                vram.merge(index, c.vram[i], Long::sum);
            }
            ResourceClaim claim = new ResourceClaim(c.ram, vram);
            List<SubordinateWorker> subs = new ArrayList<>(c.subs.size());
            StringBuilder rationale = new StringBuilder();
            rationale.append(kindLabel(c)).append(" on ").append(f.worker.name());
            if (c.gpus.length > 0) {
                rationale.append(" GPU ").append(indexes.size() == 1 ? indexes.get(0).toString()
                        : indexes.stream().map(String::valueOf).collect(Collectors.joining(",")));
            }
            for (Sub s : c.subs) {
                Facts sf = cluster.facts(s.worker);
                Map<Integer, Long> sv = new TreeMap<>();
                List<Integer> si = new ArrayList<>();
                for (int i = 0; i < s.gpus.length; i++) {
                    int index = sf.gpus[s.gpus[i]].index();
                    si.add(index);
                    sv.merge(index, s.vram[i], Long::sum);
                }
                subs.add(new SubordinateWorker(sf.worker.id(), si, new ResourceClaim(s.ram, sv)));
                rationale.append(" + ").append(sf.worker.name()).append(" GPU ")
                        .append(si.stream().map(String::valueOf).collect(Collectors.joining(",")));
            }
            long totalVram = Arrays.stream(c.vram).sum() + c.subs.stream().mapToLong(s -> Arrays.stream(s.vram).sum())
                    .sum();
            rationale.append(": ");
            if (!estimated) {
                rationale.append("no estimate, ");
            }
            rationale.append("claims ");
            if (c.gpus.length > 0) {
                rationale.append(gib(totalVram)).append(" VRAM, ");
            }
            rationale.append(gib(c.ram)).append(" RAM");
            if (c.gpuLayers > 0 && c.kind == PlacementShape.Kind.PARTIAL_OFFLOAD) {
                rationale.append(", ").append(c.gpuLayers).append(" of ").append(layered.layers())
                        .append(" layers on the GPU");
            }
            rationale.append("; score ").append(String.format(Locale.ROOT, "%.1f", c.score)).append(" (")
                    .append(strategy.name().toLowerCase(Locale.ROOT)).append(')');
            List<String> warnings = new ArrayList<>();
            if (!c.shortfalls.isEmpty()) {
                warnings.add("overcommitted as allowed: " + String.join("; ", c.shortfalls));
                rationale.append("; overcommitted");
            }
            List<Double> split = c.shares == null ? List.of() : boxed(c.shares);
            int gpuLayers = c.kind == PlacementShape.Kind.CPU_ONLY ? 0
                    : backend == Backend.LLAMA_BOX ? c.gpuLayers : LayeredSizing.ALL_LAYERS;
            PlacementShape shape = new PlacementShape(c.kind, gpuLayers, split, c.tp, c.pp);
            return new PlacementDecision.Placed(f.worker.id(), f.worker.name(), indexes, claim, shape, subs,
                    c.score, rationale.toString(), warnings);
        }

        private String kindLabel(Cand c) {
            return switch (c.kind) {
                case SINGLE_GPU -> "single GPU";
                case MULTI_GPU -> backend == Backend.LLAMA_BOX ? "tensor split" : "tensor parallel " + c.tp;
                case DISTRIBUTED -> backend == Backend.LLAMA_BOX ? "RPC across " + (c.subs.size() + 1) + " workers"
                        : backend == Backend.MINDIE ? "MindIE across " + (c.subs.size() + 1) + " workers × "
                        + c.gpus.length + " NPUs (world size " + c.tp + ")"
                        : "Ray " + c.pp + "×" + c.tp;
                case PARTIAL_OFFLOAD -> "partial offload";
                case CPU_ONLY -> "CPU only";
            };
        }

        PlacementDecision noFit(Cand manualFailure) {
            StringBuilder reason = new StringBuilder("No suitable workers.");
            if (!estimated) {
                reason.append(" No estimate yet, so needs count as 0 bytes.");
            }
            if (cluster.size() == 0) {
                return new PlacementDecision.NoFit(reason.append(" No workers registered.").toString());
            }
            List<int[]> considered = new ArrayList<>(); // {worker position}
            List<String> problems = new ArrayList<>();
            for (int w = 0; w < cluster.size(); w++) {
                String problem = rejection(w);
                if (!NO_MATCH.equals(problem)) {
                    considered.add(new int[]{w});
                    problems.add(problem);
                }
            }
            Map<Integer, String> rejected = new HashMap<>();
            for (int i = 0; i < considered.size(); i++) {
                rejected.put(considered.get(i)[0], problems.get(i));
            }
            // only the listed workers' problems are worked out now; the rest when perWorker() is asked for
            java.util.function.IntFunction<String> problemOf = w -> {
                String p = rejected.get(w);
                return p != null ? p : manualFailure != null ? manualProblem(manualFailure, w) : capacityProblem(w);
            };
            java.util.function.Supplier<SortedMap<String, String>> explain = () -> {
                SortedMap<String, String> all = new TreeMap<>();
                for (int[] w : considered) {
                    all.put(cluster.facts(w[0]).worker.name(), problemOf.apply(w[0]));
                }
                return all;
            };
            if (considered.isEmpty()) {
                if (manual) {
                    return new PlacementDecision.NoFit(reason.append(" No worker named in gpu_selector ")
                            .append(request.gpuSelector()).append(" matches worker_selector ")
                            .append(describe(request.workerSelector())).append('.').toString(), explain);
                }
                return new PlacementDecision.NoFit(reason.append(" No worker matches worker_selector ")
                        .append(describe(request.workerSelector())).append('.').toString(), explain);
            }
            considered.sort((a, b) -> {
                WorkerCapacity x = cluster.facts(a[0]).worker;
                WorkerCapacity y = cluster.facts(b[0]).worker;
                int byName = x.name().compareTo(y.name());
                return byName != 0 ? byName : x.id().compareTo(y.id());
            });
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < Math.min(MAX_LISTED_WORKERS, considered.size()); i++) {
                int w = considered.get(i)[0];
                parts.add(cluster.facts(w).worker.name() + ": " + problemOf.apply(w));
            }
            if (considered.size() > MAX_LISTED_WORKERS) {
                parts.add("and " + (considered.size() - MAX_LISTED_WORKERS) + " more");
            }
            // the workers left out are not counted: the message, and so the instance's revision, would change
            // with every worker that joins or leaves anywhere in the fleet
            if (considered.size() < cluster.size()) {
                parts.add(manual ? "other workers are not named in gpu_selector or do not match worker_selector "
                        + describe(request.workerSelector())
                        : "other workers do not match worker_selector " + describe(request.workerSelector()));
            }
            return new PlacementDecision.NoFit(reason.append(' ').append(String.join("; ", parts)).toString(),
                    explain);
        }

        private String manualProblem(Cand c, int w) {
            if (c.impossible != null) {
                return c.impossible;
            }
            String name = cluster.facts(w).worker.name();
            String mine = c.shortfalls.stream().filter(s -> s.startsWith(name + " "))
                    .map(s -> s.substring(name.length() + 1)).collect(Collectors.joining(", "));
            return mine.isEmpty() ? "the other selected workers cannot hold their part" : mine
                    + " (overcommit not allowed)";
        }

        /** Why an eligible worker holds no candidate: the single-device need against what it has. */
        private String capacityProblem(int w) {
            Facts f = cluster.facts(w);
            String cpu = "needs " + gib(cpuRam) + " RAM, " + gib(f.allocRam) + " allocatable";
            int gpus = usableGpus(f);
            if (gpus == 0) {
                return cpu;
            }
            long largest = 0;
            long sum = 0;
            for (int g = 0; g < f.gpuCount; g++) {
                if (gpuOk(f, g)) {
                    largest = Math.max(largest, f.alloc[g]);
                    sum += f.alloc[g];
                }
            }
            String gpu;
            if (sharded != null) {
                gpu = "needs a GPU of " + gib(sharded.perDeviceBytes(1)) + " with "
                        + Math.round(fraction * 100) + "% of it free, largest free GPU has " + gib(largest);
            } else {
                gpu = "needs " + gib(singleVram) + " VRAM, largest free GPU has " + gib(largest);
            }
            if (gpus > 1 && (layered != null || sharded != null)) {
                gpu += ", its " + gpus + " GPUs together " + gib(sum);
            }
            if (checkRamOnGpu && f.allocRam < singleRam) {
                gpu += ", and " + gib(singleRam) + " RAM, " + gib(f.allocRam) + " allocatable";
            }
            if (backend == Backend.VLLM && request.distributedInference()
                    && !f.worker.distributedVllmModels().isEmpty()) {
                gpu += "; already in a distributed vLLM instance of "
                        + String.join(", ", f.worker.distributedVllmModels());
            }
            if (backend == Backend.MINDIE && request.distributedInference() && sharded != null) {
                String across = mindieAcrossProblem(f);
                if (!across.isEmpty()) {
                    gpu += "; across workers: " + across;
                }
            }
            return cpuAllowed ? gpu + ", or " + gib(cpuRam) + " RAM, " + gib(f.allocRam) + " allocatable" : gpu;
        }

        /** What keeps a worker out of every MindIE group across workers, beyond its RAM; empty when nothing. */
        private String mindieAcrossProblem(Facts f) {
            List<String> parts = new ArrayList<>();
            List<Integer> withoutIp = new ArrayList<>();
            long largest = 0;
            for (int g = 0; g < f.gpuCount; g++) {
                if (gpuOk(f, g)) {
                    largest = Math.max(largest, f.gpus[g].totalBytes());
                    if (f.gpus[g].deviceIp() == null) {
                        withoutIp.add(f.gpus[g].index());
                    }
                }
            }
            if (!withoutIp.isEmpty()) {
                parts.add(withoutIp.size() == 1 ? "NPU " + withoutIp.get(0) + " has no device IP (hccn_tool)"
                        : "NPUs " + withoutIp.stream().map(String::valueOf).collect(Collectors.joining(", "))
                        + " have no device IP (hccn_tool)");
            }
            if (!f.worker.distributedMindieModels().isEmpty()) {
                parts.add("already in a MindIE instance across workers of "
                        + String.join(", ", f.worker.distributedMindieModels()));
            }
            int world = 1;
            while (world < MAX_MINDIE_DEVICES && sharded.perDeviceBytes(world) > largest) {
                world <<= 1;
            }
            // power-of-two world sizes that divide the heads get fewer as they grow: one that fails, all above fail
            if (sharded.perDeviceBytes(world) <= largest && !sharded.allowsDeviceCount(world)) {
                parts.add("NPUs like these need a world size of at least " + world + ", and none from there divides"
                        + " the model's " + sharded.attentionHeads() + " attention heads");
            }
            return String.join("; ", parts);
        }
    }

    /** A candidate in positions (worker, GPU) of the snapshot; turned into a decision only when it wins. */
    private static final class Cand {
        final PlacementShape.Kind kind;
        final int worker;
        final int[] gpus;
        final long[] vram;
        final long ram;
        double score;
        int gpuLayers;
        double[] shares;
        int tp = 1;
        int pp = 1;
        final List<Sub> subs = new ArrayList<>();
        final List<String> shortfalls = new ArrayList<>();
        String impossible;

        Cand(PlacementShape.Kind kind, int worker, int[] gpus, long[] vram, long ram, double score) {
            this.kind = kind;
            this.worker = worker;
            this.gpus = gpus;
            this.vram = vram;
            this.ram = ram;
            this.score = score;
        }
    }

    private record Sub(int worker, int[] gpus, long[] vram, long ram) {
    }

    static long[] evenly(long total, int n) {
        long[] out = new long[n];
        Arrays.fill(out, (total + n - 1) / n);
        return out;
    }

    static double round(double share) {
        return Math.round(share * 10_000) / 10_000.0;
    }

    static List<Double> boxed(double[] values) {
        List<Double> out = new ArrayList<>(values.length);
        for (double v : values) {
            out.add(v);
        }
        return out;
    }

    static String describe(Map<String, String> selector) {
        return new TreeMap<>(selector).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }

    /** Bytes as GiB with one decimal; nothing allocatable shows as 0.0 GiB. */
    public static String gib(long bytes) {
        // not String.format: a no-fit message formats a few numbers for every worker of the fleet
        long tenths = Math.round(Math.max(0, bytes) * 10.0 / GIB);
        return (tenths / 10) + "." + (tenths % 10) + " GiB";
    }
}
