package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.filter.SelectedGpus;
import dev.gpufleet.scheduler.placement.score.Scoring;

import java.util.ArrayList;
import java.util.List;

/**
 * Manual GPU selection: exactly the selected GPUs, in the shape the backend runs on them. Shortfalls are kept, so
 * overcommit can place it anyway, with a warning; a shape the backend cannot run at all is {@code impossible}.
 */
final class ManualShapes {
    private final SearchSpace s;
    private final Needs needs;
    private final SelectedGpus selected;
    private final boolean cpuOffloading;

    ManualShapes(SearchSpace s, SelectedGpus selected, boolean cpuOffloading) {
        this.s = s;
        this.needs = s.needs();
        this.selected = selected;
        this.cpuOffloading = cpuOffloading;
    }

    /** Null when the selection names GPUs of several workers and some of them were filtered out. */
    Candidate candidate() {
        int[] workers = s.eligible();
        Backend backend = s.backend();
        if (workers.length == 1) {
            int w = workers[0];
            WorkerFacts f = s.facts(w);
            int[] gpus = selected.gpus(w);
            return switch (backend) {
                case LLAMA_BOX -> layered(w, f, gpus);
                case VLLM, MINDIE -> sharded(w, f, gpus);
                case VOX_BOX -> gpus.length == 1 ? exactSingle(w, f, gpus[0])
                        : Candidate.impossible(w, "vox-box runs on one GPU, gpu_selector names " + gpus.length);
            };
        }
        int named = 0;
        for (int w : workers) {
            named += selected.gpus(w).length;
        }
        if (named != selected.entries()) {
            return null;
        }
        return switch (backend) {
            case LLAMA_BOX -> rpc(workers);
            case VLLM -> ray(workers);
            case MINDIE -> mindie(workers);
            case VOX_BOX -> Candidate.impossible(workers[0], backend.label()
                    + " runs on one worker, gpu_selector names GPUs of " + workers.length);
        };
    }

    /** One GPU (falling back to partial offload), or a tensor split over several. */
    private Candidate layered(int w, WorkerFacts f, int[] gpus) {
        LayeredSizing layered = needs.layered();
        if (gpus.length == 1) {
            Candidate full = exactSingle(w, f, gpus[0]);
            if (full.shortfalls().isEmpty() || layered == null || !cpuOffloading) {
                return full;
            }
            int g = gpus[0];
            for (int k = layered.layers(); k >= 1; k--) {
                if (needs.vramForLayers(k) <= f.alloc(g) && needs.ramForLayers(k) <= f.allocRam()) {
                    long vram = needs.vramForLayers(k);
                    return Candidate.on(PlacementShape.Kind.PARTIAL_OFFLOAD, w, gpus, new long[]{vram},
                                    needs.ramForLayers(k))
                            .score(s.scoring().score(Scoring.gpuUtil(f, g, vram))).gpuLayers(k).build();
                }
            }
            return full;
        }
        List<Double> shares = Splits.byAllocatable(f, gpus);
        long[] vram = layered == null ? Splits.evenly(needs.singleVram(), gpus.length)
                : layered.memoryFor(LayeredSizing.ALL_LAYERS, shares).vramBytes();
        long ram = layered == null ? 0 : needs.singleRam();
        return Candidate.on(PlacementShape.Kind.MULTI_GPU, w, gpus, vram, ram)
                .score(s.scoring().score(Scoring.gpusUtil(f, gpus, vram))).gpuLayers(LayeredSizing.ALL_LAYERS)
                .tensorSplit(shares).checkVram(f, gpus, vram).checkRam(f, ram).build();
    }

    private Candidate exactSingle(int w, WorkerFacts f, int g) {
        long need = needs.measured(f.gpu(g), needs.sharded() == null ? needs.singleVram()
                : needs.shardClaim(f.gpu(g), 1));
        long ram = needs.ramOnGpu() ? needs.singleRam() : 0;
        int[] gpus = {g};
        long[] vram = {need};
        return Candidate.on(PlacementShape.Kind.SINGLE_GPU, w, gpus, vram, ram)
                .score(s.scoring().score(Scoring.gpuUtil(f, g, need))).gpuLayers(LayeredSizing.ALL_LAYERS)
                .checkVram(f, gpus, vram).checkRam(f, ram).build();
    }

    /** vLLM or MindIE on the selected devices of one worker. */
    private Candidate sharded(int w, WorkerFacts f, int[] gpus) {
        int n = gpus.length;
        if (needs.userWorld() > 0 && n != needs.userWorld()) {
            return Candidate.impossible(w, deviceCountProblem(n));
        }
        ShardedSizing sharded = needs.sharded();
        if (sharded == null) {
            if (n == 1) {
                return exactSingle(w, f, gpus[0]);
            }
            long[] vram = Splits.evenly(needs.singleVram(), n);
            return Candidate.on(PlacementShape.Kind.MULTI_GPU, w, gpus, vram, 0)
                    .score(s.scoring().score(Scoring.gpusUtil(f, gpus, vram))).tensorParallel(n)
                    .checkVram(f, gpus, vram).build();
        }
        if (!needs.allowsDeviceCount(n)) {
            return Candidate.impossible(w, deviceCountProblem(n));
        }
        long[] claims = ShardedShapes.claims(needs, f, gpus);
        return Candidate.on(n == 1 ? PlacementShape.Kind.SINGLE_GPU : PlacementShape.Kind.MULTI_GPU, w, gpus, claims,
                        needs.singleRam()).score(s.scoring().score(Scoring.gpusUtil(f, gpus, claims)))
                .tensorParallel(n).checkDeviceSize(f, gpus, sharded.perDeviceBytes(n)).checkVram(f, gpus, claims)
                .checkRam(f, needs.singleRam()).build();
    }

    /** llama-box with RPC servers on exactly the selected GPUs; the worker with the most selected free VRAM leads. */
    private Candidate rpc(int[] workers) {
        int main = lead(workers);
        List<LayeredShapes.RpcDevice> rpcGpus = new ArrayList<>();
        for (int w : workers) {
            if (w != main) {
                for (int g : selected.gpus(w)) {
                    rpcGpus.add(new LayeredShapes.RpcDevice(w, g, s.facts(w).alloc(g)));
                }
            }
        }
        return LayeredShapes.distributed(s, main, selected.gpus(main), rpcGpus);
    }

    /** vLLM with Ray on exactly the selected GPUs: the same count on every worker. */
    private Candidate ray(int[] workers) {
        int g = selected.gpus(workers[0]).length;
        for (int w : workers) {
            if (selected.gpus(w).length != g) {
                return Candidate.impossible(w, "vllm across workers needs the same GPU count on every worker");
            }
        }
        ShardedSizing sharded = needs.sharded();
        int total = g * workers.length;
        if (sharded != null && !needs.allowsDeviceCount(total)) {
            return Candidate.impossible(workers[0], deviceCountProblem(total));
        }
        int main = lead(workers);
        Candidate.Builder c = Candidate.on(PlacementShape.Kind.DISTRIBUTED, main, selected.gpus(main),
                rayClaims(main, workers.length), needs.singleRam()).tensorParallel(g).pipelineParallel(workers.length);
        double util = 0;
        for (int w : workers) {
            WorkerFacts f = s.facts(w);
            int[] gpus = selected.gpus(w);
            long[] claims = rayClaims(w, workers.length);
            if (sharded != null) {
                c.checkDeviceSize(f, gpus, sharded.perDeviceBytes(total));
            }
            c.checkVram(f, gpus, claims).checkRam(f, needs.singleRam());
            if (!f.worker().distributedVllmModels().isEmpty()) {
                c.impossible(f.worker().name() + " already takes part in a distributed vLLM instance ("
                        + String.join(", ", f.worker().distributedVllmModels()) + ")");
            }
            if (w != main) {
                c.subordinate(w, gpus, claims, needs.singleRam());
            }
            util = Math.max(util, Scoring.gpusUtil(f, gpus, claims));
        }
        return c.score(s.scoring().score(util)).build();
    }

    private long[] rayClaims(int w, int workerCount) {
        int[] gpus = selected.gpus(w);
        return needs.sharded() == null ? Splits.evenly(needs.singleVram() / workerCount, gpus.length)
                : ShardedShapes.claims(needs, s.facts(w), gpus);
    }

    /** MindIE on exactly the selected NPUs of several workers: the same power-of-two count on each. */
    private Candidate mindie(int[] workers) {
        int n = selected.gpus(workers[0]).length;
        boolean same = true;
        for (int w : workers) {
            same &= selected.gpus(w).length == n;
        }
        if (!same || Integer.bitCount(n) != 1) {
            List<String> counts = new ArrayList<>();
            for (int w : workers) {
                counts.add(selected.gpus(w).length + " on " + s.facts(w).worker().name());
            }
            return Candidate.impossible(workers[0], "mindie across workers needs the same power-of-two NPU count on"
                    + " every selected worker, gpu_selector names " + String.join(", ", counts));
        }
        ShardedSizing sharded = needs.sharded();
        int world = n * workers.length;
        if (sharded != null ? !sharded.allowsDeviceCount(world) : Integer.bitCount(world) != 1) {
            return Candidate.impossible(workers[0], sharded != null ? deviceCountProblem(world)
                    : s.backend().label() + " needs a power-of-two device count, gpu_selector gives " + world);
        }
        int main = lead(workers);
        Candidate.Builder c = Candidate.on(PlacementShape.Kind.DISTRIBUTED, main, selected.gpus(main),
                mindieClaims(main, workers.length), needs.singleRam()).tensorParallel(world);
        double util = 0;
        List<String> withoutIp = new ArrayList<>();
        for (int w : workers) {
            WorkerFacts f = s.facts(w);
            int[] npus = selected.gpus(w);
            long[] claims = w == main ? c.vram() : mindieClaims(w, workers.length);
            if (sharded != null) {
                c.checkDeviceSize(f, npus, sharded.perDeviceBytes(world));
            }
            c.checkVram(f, npus, claims).checkRam(f, needs.singleRam());
            for (int g : npus) {
                if (f.gpu(g).deviceIp() == null) {
                    withoutIp.add(f.worker().name() + " NPU " + f.gpu(g).index());
                }
            }
            if (!f.worker().distributedMindieModels().isEmpty() && c.impossible() == null) {
                c.impossible(f.worker().name() + " already takes part in a MindIE instance across workers ("
                        + String.join(", ", f.worker().distributedMindieModels()) + ")");
            }
            if (w != main) {
                c.subordinate(w, npus, claims, needs.singleRam());
            }
            util = Math.max(util, Scoring.gpusUtil(f, npus, claims));
        }
        if (!withoutIp.isEmpty()) {
            c.impossible(String.join(", ", withoutIp) + (withoutIp.size() == 1 ? " has" : " have")
                    + " no device IP (hccn_tool), which the rank table of mindie across workers needs");
        }
        return c.score(s.scoring().score(util)).build();
    }

    private long[] mindieClaims(int w, int workerCount) {
        int[] npus = selected.gpus(w);
        if (needs.sharded() == null) {
            return Splits.evenly(needs.singleVram() / workerCount, npus.length);
        }
        long[] claims = new long[npus.length];
        for (int i = 0; i < npus.length; i++) {
            claims[i] = needs.fullClaim(s.facts(w).gpu(npus[i]));
        }
        return claims;
    }

    /** The worker with the most allocatable VRAM on its selected GPUs; the first among equals. */
    private int lead(int[] workers) {
        int main = workers[0];
        for (int w : workers) {
            if (selectedAlloc(w) > selectedAlloc(main)) {
                main = w;
            }
        }
        return main;
    }

    private long selectedAlloc(int w) {
        long sum = 0;
        for (int g : selected.gpus(w)) {
            sum += s.facts(w).alloc(g);
        }
        return sum;
    }

    private String deviceCountProblem(int n) {
        if (needs.userWorld() > 0) {
            return "backend_parameters set tensor × pipeline parallel size " + needs.userWorld()
                    + ", gpu_selector gives " + n + " GPUs";
        }
        ShardedSizing sharded = needs.sharded();
        if (sharded.powerOfTwoDevices() && Integer.bitCount(n) != 1) {
            return s.backend().label() + " needs a power-of-two device count, gpu_selector gives " + n;
        }
        return n + " devices do not divide the model's " + sharded.attentionHeads() + " attention heads";
    }
}
