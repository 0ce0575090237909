package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.score.Scoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** llama-box's shapes beyond one GPU: a tensor split on one worker, RPC servers across workers, partial offload. */
final class LayeredShapes {
    /** GPUStack's limits on RPC combinations. */
    static final int MAX_RPC_SERVERS = 8;
    static final int MAX_RPC_POOL = 16;

    /** A GPU of a worker that may join as an RPC server. */
    record RpcDevice(int worker, int gpu, long allocatable) {
    }

    private static final Comparator<RpcDevice> MOST_FREE_FIRST = Comparator
            .comparingLong(RpcDevice::allocatable).reversed()
            .thenComparingInt(RpcDevice::worker).thenComparingInt(RpcDevice::gpu);
    private static final Comparator<RpcDevice> BY_WORKER = Comparator.comparingInt(RpcDevice::worker)
            .thenComparingInt(RpcDevice::gpu);

    private LayeredShapes() {
    }

    /** Several GPUs of one worker, shares ∝ allocatable; the fewest GPUs win, then the best score. */
    static Candidate multiGpu(SearchSpace s) {
        Needs needs = s.needs();
        long lowerBound = needs.multiGpuLowerBound();
        Candidate best = null;
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (f.gpuCount() < 2 || f.sumAlloc() < lowerBound || f.allocRam() < needs.singleRam()) {
                continue;
            }
            int[] free = usableByFree(s, f);
            int maxK = best == null ? free.length : Math.min(free.length, best.gpus().length);
            long sum = f.alloc(free[0]);
            for (int k = 2; k <= maxK; k++) {
                sum += f.alloc(free[k - 1]);
                if (sum < lowerBound) {
                    continue;
                }
                int[] chosen = Arrays.copyOf(free, k);
                Arrays.sort(chosen);
                List<Double> shares = Splits.byAllocatable(f, chosen);
                long[] vram = needs.layered().memoryFor(LayeredSizing.ALL_LAYERS, shares).vramBytes();
                if (!fitsAll(f, chosen, vram)) {
                    continue;
                }
                double score = s.scoring().score(Scoring.gpusUtil(f, chosen, vram));
                if (best == null || k < best.gpus().length || score > best.score()) {
                    best = Candidate.on(PlacementShape.Kind.MULTI_GPU, w, chosen, vram, needs.singleRam()).score(score)
                            .gpuLayers(LayeredSizing.ALL_LAYERS).tensorSplit(shares).build();
                }
                break;
            }
        }
        return best;
    }

    /** RPC servers: the worker with the most free VRAM leads, other workers' GPUs join, the fewest that fit. */
    static Candidate rpc(SearchSpace s) {
        Needs needs = s.needs();
        long rpcServerRam = s.cluster().settings().rpcServerRamBytes();
        int main = -1;
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (s.backend().usableGpus(f) > 0 && f.allocRam() >= needs.singleRam()
                    && (main < 0 || f.sumAlloc() > s.facts(main).sumAlloc())) {
                main = w;
            }
        }
        if (main < 0) {
            return null;
        }
        List<RpcDevice> pool = new ArrayList<>();
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (w == main || f.allocRam() < rpcServerRam) {
                continue;
            }
            for (int g = 0; g < f.gpuCount(); g++) {
                if (s.canUse(f, g) && f.alloc(g) >= needs.smallestLayer()) {
                    pool.add(new RpcDevice(w, g, f.alloc(g)));
                }
            }
        }
        if (pool.isEmpty()) {
            return null;
        }
        pool.sort(MOST_FREE_FIRST);
        if (pool.size() > MAX_RPC_POOL) {
            pool = pool.subList(0, MAX_RPC_POOL);
        }
        int[] mainGpus = usableGpus(s, s.facts(main));
        for (int m = 1; m <= Math.min(MAX_RPC_SERVERS, pool.size()); m++) {
            List<RpcDevice> chosen = new ArrayList<>(pool.subList(0, m));
            chosen.sort(BY_WORKER);
            Candidate c = distributed(s, main, mainGpus, chosen);
            if (c.shortfalls().isEmpty()) {
                return c;
            }
        }
        return null;
    }

    /** Sizes llama-box over the main worker's GPUs then the RPC GPUs (grouped by worker, in their order). */
    static Candidate distributed(SearchSpace s, int main, int[] mainGpus, List<RpcDevice> rpcGpus) {
        Needs needs = s.needs();
        WorkerFacts lead = s.facts(main);
        int total = mainGpus.length + rpcGpus.size();
        double[] weights = new double[total];
        double sum = 0;
        for (int i = 0; i < mainGpus.length; i++) {
            weights[i] = Math.max(1, lead.alloc(mainGpus[i]));
            sum += weights[i];
        }
        for (int i = 0; i < rpcGpus.size(); i++) {
            RpcDevice d = rpcGpus.get(i);
            weights[mainGpus.length + i] = Math.max(1, s.facts(d.worker()).alloc(d.gpu()));
            sum += weights[mainGpus.length + i];
        }
        List<Double> shares = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            shares.add(Splits.round(weights[i] / sum));
        }
        long[] vram = needs.layered() == null ? Splits.evenly(needs.singleVram(), total)
                : needs.layered().memoryFor(LayeredSizing.ALL_LAYERS, shares).vramBytes();
        long[] mainVram = Arrays.copyOf(vram, mainGpus.length);
        Candidate.Builder c = Candidate.on(PlacementShape.Kind.DISTRIBUTED, main, mainGpus, mainVram,
                        needs.singleRam()).gpuLayers(LayeredSizing.ALL_LAYERS).tensorSplit(shares)
                .checkVram(lead, mainGpus, mainVram).checkRam(lead, needs.singleRam());
        Map<Integer, List<Integer>> gpusByWorker = new LinkedHashMap<>();
        Map<Integer, List<Long>> vramByWorker = new LinkedHashMap<>();
        for (int i = 0; i < rpcGpus.size(); i++) {
            RpcDevice d = rpcGpus.get(i);
            gpusByWorker.computeIfAbsent(d.worker(), k -> new ArrayList<>()).add(d.gpu());
            vramByWorker.computeIfAbsent(d.worker(), k -> new ArrayList<>()).add(vram[mainGpus.length + i]);
        }
        double util = Scoring.gpusUtil(lead, mainGpus, mainVram);
        for (Map.Entry<Integer, List<Integer>> e : gpusByWorker.entrySet()) {
            WorkerFacts f = s.facts(e.getKey());
            int[] gs = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            long[] vs = vramByWorker.get(e.getKey()).stream().mapToLong(Long::longValue).toArray();
            long ram = s.cluster().settings().rpcServerRamBytes() * gs.length;
            c.checkVram(f, gs, vs);
            if (f.allocRam() < ram) {
                c.shortfall(new Shortfall.RpcServerRam(f.worker().name(), ram, f.allocRam()));
            }
            c.subordinate(e.getKey(), gs, vs, ram);
            util = Math.max(util, Scoring.gpusUtil(f, gs, vs));
        }
        return c.score(s.scoring().score(util)).build();
    }

    /** The most layers that fit on one GPU, the rest in RAM; the most layers win, then the best score. */
    static Candidate partialOffload(SearchSpace s) {
        Needs needs = s.needs();
        int n = needs.layered().layers();
        long oneLayer = needs.vramForLayers(1);
        Candidate best = null;
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (f.maxAlloc() < oneLayer) {
                continue;
            }
            for (int g = 0; g < f.gpuCount(); g++) {
                if (!s.canUse(f, g) || f.alloc(g) < oneLayer) {
                    continue;
                }
                int lo = 1;
                int hi = n;
                while (lo < hi) {
                    int mid = (lo + hi + 1) >>> 1;
                    if (needs.vramForLayers(mid) <= f.alloc(g)) {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
                // fewer layers on the GPU only need more RAM, so this k is the only one to check
                if (needs.ramForLayers(lo) > f.allocRam() || (best != null && lo < best.gpuLayers())) {
                    continue;
                }
                double score = s.scoring().score(Scoring.gpuUtil(f, g, needs.vramForLayers(lo)));
                if (best == null || lo > best.gpuLayers() || score > best.score()) {
                    best = Candidate.on(PlacementShape.Kind.PARTIAL_OFFLOAD, w, new int[]{g},
                                    new long[]{needs.vramForLayers(lo)}, needs.ramForLayers(lo))
                            .score(score).gpuLayers(lo).build();
                }
            }
        }
        return best;
    }

    /** The worker's GPU positions the backend can use, most allocatable first. */
    private static int[] usableByFree(SearchSpace s, WorkerFacts f) {
        int[] out = new int[f.gpuCount()];
        int n = 0;
        for (int j = 0; j < f.gpuCount(); j++) {
            if (s.canUse(f, f.byFree(j))) {
                out[n++] = f.byFree(j);
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** The worker's GPU positions the backend can use, ascending. */
    private static int[] usableGpus(SearchSpace s, WorkerFacts f) {
        int[] out = new int[s.backend().usableGpus(f)];
        for (int g = 0, n = 0; g < f.gpuCount(); g++) {
            if (s.canUse(f, g)) {
                out[n++] = g;
            }
        }
        return out;
    }

    private static boolean fitsAll(WorkerFacts f, int[] gpus, long[] vram) {
        for (int i = 0; i < gpus.length; i++) {
            if (vram[i] > f.alloc(gpus[i])) {
                return false;
            }
        }
        return true;
    }
}
