package dev.gpufleet.bench;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.PlacementSettings.Accounting;
import dev.gpufleet.scheduler.placement.WorkerCapacity;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The placement engine on a simulated fleet: 1,000 workers × 8 GPUs (24/48/80 GiB NVIDIA, 64 GiB Ascend, some
 * CPU-only hosts), 2,000 models (llama-box, vLLM, MindIE, vox-box of mixed sizes), and a seeded trace with churn:
 * workers lost and back, replicas scaled up and down. One thread; only {@code PlacementEngine.place} is timed.
 * Table 1: decisions/s, p50/p99 latency, GPU memory claimed vs allocatable, instances left pending, and a hash of
 * all placements for two replays. Table 2: the same trace with foreign processes holding GPU memory, counting the
 * placements that would run out of device memory under claims-only accounting (GPUStack's) and under ours.
 * Usage: {@code bench/run placement [SEED] [EVENTS]} (defaults 42, 6000).
 */
public final class PlacementBench {
    static final long GIB = 1L << 30;
    static final int WORKERS = 1000;
    static final int MODELS = 2000;

    record Model(String id, String backend, ResourceEstimate estimate, boolean cpuOffloading, boolean distributed,
                 PlacementRequest.Strategy strategy, int replicas) {
        PlacementRequest request() {
            return new PlacementRequest(id, backend, estimate, Map.of(), List.of(), strategy, cpuOffloading,
                    distributed, false, Map.of());
        }
    }

    record Result(long decisions, long placed, long[] latenciesNs, long totalNs, long hash, int pending,
                  long claimedVram, long allocatableVram, long totalVram, int oomPlacements, int instances) {
    }

    public static void main(String[] args) {
        long seed = args.length > 0 ? Long.parseLong(args[0]) : 42;
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 6000;
        List<WorkerCapacity> fleet = fleet(seed, 0);
        List<Model> models = models(seed);
        System.out.printf(Locale.ROOT, "placement: %d workers (%d GPUs), %d models, %d churn events, seed %d,"
                        + " JDK %s, one thread%n%n", fleet.size(), fleet.stream().mapToInt(w -> w.gpus().size()).sum(),
                models.size(), events, seed, Runtime.version());
        // warm-up so the JIT has compiled the hot loops before the measured replays
        run(fleet, models, seed + 1, Math.min(events, 2000), PlacementSettings.DEFAULT);

        Result first = run(fleet, models, seed, events, PlacementSettings.DEFAULT);
        Result second = run(fleet, models, seed, events, PlacementSettings.DEFAULT);
        System.out.println("| run | decisions | placed | decisions/s | p50 ms | p99 ms | max ms | GPU claimed / "
                + "allocatable GiB | instances | pending | placement hash |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        row("replay 1", first);
        row("replay 2", second);
        System.out.printf("%nsame placements on both replays: %s%n%n", first.hash() == second.hash() ? "yes" : "NO");

        List<WorkerCapacity> foreign = fleet(seed, 0.25);
        Result claimsOnly = run(foreign, models, seed, events,
                PlacementSettings.DEFAULT.withAccounting(Accounting.CLAIMS_ONLY));
        Result observed = run(foreign, models, seed, events, PlacementSettings.DEFAULT);
        System.out.println("Foreign processes hold 2–16 GiB on 25 % of GPUs (reported as used memory):");
        System.out.println();
        System.out.println("| accounting | decisions | placed | placements that would run out of GPU memory "
                + "| instances | pending | p99 ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        foreignRow("claims only (GPUStack)", claimsOnly);
        foreignRow("observed (ours)", observed);
    }

    static void row(String name, Result r) {
        long[] sorted = r.latenciesNs().clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %.0f | %.3f | %.3f | %.3f | %.0f / %.0f | %d | %d | %016x |%n",
                name, r.decisions(), r.placed(), r.decisions() / (r.totalNs() / 1e9), pct(sorted, 0.50),
                pct(sorted, 0.99), sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6,
                r.claimedVram() / (double) GIB, r.allocatableVram() / (double) GIB, r.instances(), r.pending(),
                r.hash());
    }

    static void foreignRow(String name, Result r) {
        long[] sorted = r.latenciesNs().clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %.3f |%n", name, r.decisions(), r.placed(),
                r.oomPlacements(), r.instances(), r.pending(), pct(sorted, 0.99));
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    // ---- the fleet and the models ----------------------------------------------------------------------------

    static List<WorkerCapacity> fleet(long seed, double foreignShare) {
        Random random = new Random(seed);
        List<WorkerCapacity> workers = new ArrayList<>(WORKERS);
        for (int i = 0; i < WORKERS; i++) {
            double kind = random.nextDouble();
            String id = String.format(Locale.ROOT, "w%04d", i);
            List<GpuCapacity> gpus = new ArrayList<>();
            long ram = 512 * GIB;
            if (kind < 0.08) {
                ram = 256 * GIB;
            } else {
                String vendor = "nvidia";
                String type = "cuda";
                String product;
                long total;
                if (kind < 0.35) {
                    product = "NVIDIA A10";
                    total = 24 * GIB;
                } else if (kind < 0.60) {
                    product = "NVIDIA L40S";
                    total = 48 * GIB;
                } else if (kind < 0.90) {
                    product = "NVIDIA H100 80GB HBM3";
                    total = 80 * GIB;
                } else {
                    vendor = "ascend";
                    type = "npu";
                    product = "Ascend 910B";
                    total = 64 * GIB;
                }
                for (int g = 0; g < 8; g++) {
                    long foreign = random.nextDouble() < foreignShare ? (2 + random.nextInt(15)) * GIB : 0;
                    gpus.add(new GpuCapacity(g, vendor, type, product, total, foreign, 0));
                }
            }
            workers.add(new WorkerCapacity(id, id, WorkerState.READY, "linux", "amd64", Map.of(), ram, 8 * GIB, 0,
                    gpus, Set.of()));
        }
        return workers;
    }

    static List<Model> models(long seed) {
        Random random = new Random(seed * 31 + 7);
        List<Model> models = new ArrayList<>(MODELS);
        for (int i = 0; i < MODELS; i++) {
            String id = String.format(Locale.ROOT, "m%04d", i);
            double kind = random.nextDouble();
            int replicas = 1 + random.nextInt(2);
            PlacementRequest.Strategy strategy = random.nextDouble() < 0.7 ? PlacementRequest.Strategy.SPREAD
                    : PlacementRequest.Strategy.BINPACK;
            if (kind < 0.55) {
                int layers = new int[]{24, 28, 32, 40, 48, 64, 80}[random.nextInt(7)];
                double sizeGib = 0.5 + Math.pow(random.nextDouble(), 2.5) * 90; // mostly small, some 70B-class
                long layer = (long) (sizeGib * GIB / layers);
                long kv = (long) (layer * (0.05 + random.nextDouble() * 0.2));
                LayeredSizing sizing = new LayeredSizing(8192, Collections.nCopies(layers, layer), kv, 300L << 20,
                        500L << 20, 20L << 20, layer * 2, layer * 2, layer, 10L << 20, 0);
                var all = sizing.memoryFor(LayeredSizing.ALL_LAYERS, List.of(1.0));
                var cpu = sizing.memoryFor(0, List.of());
                models.add(new Model(id, "llama-box", new ResourceEstimate(cpu.ramBytes(), all.vramBytes()[0],
                        ModelSizing.of(sizing)), random.nextDouble() < 0.8, random.nextDouble() < 0.15, strategy,
                        replicas));
            } else if (kind < 0.85) {
                double weights = 1 + Math.pow(random.nextDouble(), 2) * 250;
                long device = (long) ((weights * 1.15 + 2) * GIB);
                int heads = new int[]{32, 40, 64, 28}[random.nextInt(4)];
                ShardedSizing sizing = new ShardedSizing(device, 0.9, (long) (1.2 * weights * GIB + 2 * GIB),
                        4 * GIB, heads, false);
                models.add(new Model(id, "vllm", new ResourceEstimate(4 * GIB, sizing.perDeviceBytes(1),
                        ModelSizing.of(sizing)), false, random.nextDouble() < 0.2, strategy, replicas));
            } else if (kind < 0.90) {
                double weights = 7 + random.nextDouble() * 150;
                ShardedSizing sizing = new ShardedSizing((long) (weights * 1.3 * GIB), 0.8, 0, 8 * GIB, 64, true);
                models.add(new Model(id, "mindie", new ResourceEstimate(8 * GIB, sizing.perDeviceBytes(1),
                        ModelSizing.of(sizing)), false, false, strategy, replicas));
            } else {
                long vram = (1 + random.nextInt(10)) * GIB;
                FixedSizing sizing = new FixedSizing(new ResourceEstimate(2 * GIB, vram),
                        new ResourceEstimate(4 * GIB, 0));
                models.add(new Model(id, "vox-box", new ResourceEstimate(4 * GIB, vram, ModelSizing.of(sizing)), true,
                        false, strategy, replicas));
            }
        }
        return models;
    }

    // ---- the trace -------------------------------------------------------------------------------------------

    /** A placed instance: its decision, so its claims can be given back. */
    record Live(long id, Model model, PlacementDecision.Placed placed) {
        boolean distributedVllm() {
            return model.backend().equals("vllm") && !placed.subordinates().isEmpty();
        }

        Set<String> workers() {
            Set<String> ids = new LinkedHashSet<>();
            ids.add(placed.workerId());
            for (SubordinateWorker s : placed.subordinates()) {
                ids.add(s.workerId());
            }
            return ids;
        }
    }

    static final class Sim {
        final Map<String, long[]> foreign = new HashMap<>();
        final Map<Long, Live> live = new LinkedHashMap<>();
        final Deque<Long[]> pendingQueue = new ArrayDeque<>(); // {instance id, model index}
        final List<Model> models;
        final Set<String> touched = new LinkedHashSet<>();
        ClusterSnapshot cluster;
        long nextId;
        long decisions;
        long placedCount;
        long totalNs;
        long hash = 0xcbf29ce484222325L;
        long[] latencies = new long[1 << 16];
        int oom;

        Sim(List<WorkerCapacity> fleet, List<Model> models, PlacementSettings settings) {
            this.models = models;
            for (WorkerCapacity w : fleet) {
                foreign.put(w.id(), w.gpus().stream().mapToLong(GpuCapacity::usedBytes).toArray());
            }
            cluster = ClusterSnapshot.of(fleet, settings);
        }

        void tryPlace(long instanceId, int modelIndex) {
            Model model = models.get(modelIndex);
            PlacementRequest request = model.request();
            long start = System.nanoTime();
            PlacementDecision decision = PlacementEngine.place(cluster, request);
            long took = System.nanoTime() - start;
            totalNs += took;
            if (decisions == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[(int) decisions++] = took;
            if (decision instanceof PlacementDecision.Placed placed) {
                placedCount++;
                Live instance = new Live(instanceId, model, placed);
                live.put(instanceId, instance);
                cluster = cluster.withPlacement(placed, model.id(), instance.distributedVllm());
                touched.addAll(instance.workers());
                mix(instanceId + "@" + placed.workerId() + placed.gpuIndexes() + new java.util.TreeMap<>(placed.claim().vramBytesByGpu())
                        + placed.claim().ramBytes() + placed.subordinates().stream().map(s -> s.workerId() + s.gpuIndexes()
                        + new java.util.TreeMap<>(s.claim().vramBytesByGpu())).toList());
                countOom(placed);
            } else {
                mix(instanceId + ":pending");
                pendingQueue.addLast(new Long[]{instanceId, (long) modelIndex});
            }
        }

        void countOom(PlacementDecision.Placed placed) {
            boolean out = overflows(placed.workerId(), placed.claim().vramBytesByGpu());
            for (SubordinateWorker s : placed.subordinates()) {
                out |= overflows(s.workerId(), s.claim().vramBytesByGpu());
            }
            if (out) {
                oom++;
            }
        }

        /** Our claims plus the foreign processes' memory over the device's total. */
        boolean overflows(String workerId, Map<Integer, Long> byGpu) {
            WorkerCapacity w = cluster.worker(workerId);
            long[] f = foreign.get(workerId);
            for (GpuCapacity gpu : w.gpus()) {
                if (byGpu.containsKey(gpu.index()) && gpu.claimedBytes() + f[gpu.index()] > gpu.totalBytes()) {
                    return true;
                }
            }
            return false;
        }

        void remove(Live instance) {
            live.remove(instance.id());
            cluster = cluster.withoutPlacement(instance.placed(), instance.model().id(), instance.distributedVllm());
            touched.addAll(instance.workers());
        }

        /** The heartbeats after an event: each touched worker reports foreign + our instances' memory as used. */
        void heartbeat() {
            List<WorkerCapacity> changed = new ArrayList<>(touched.size());
            for (String id : touched) {
                WorkerCapacity w = cluster.worker(id);
                long[] f = foreign.get(id);
                List<GpuCapacity> gpus = new ArrayList<>(w.gpus().size());
                for (GpuCapacity g : w.gpus()) {
                    gpus.add(new GpuCapacity(g.index(), g.vendor(), g.type(), g.productName(), g.totalBytes(),
                            f[g.index()] + g.claimedBytes(), g.claimedBytes()));
                }
                changed.add(new WorkerCapacity(w.id(), w.name(), w.state(), w.os(), w.arch(), w.labels(),
                        w.ramTotalBytes(), w.ramUsedBytes(), w.ramClaimedBytes(), gpus, w.distributedVllmModels()));
            }
            touched.clear();
            if (!changed.isEmpty()) {
                cluster = cluster.withWorkers(changed);
            }
        }

        void setState(String workerId, WorkerState state) {
            cluster = cluster.withWorkers(List.of(cluster.worker(workerId).withState(state)));
        }

        void retryPending(int max) {
            int n = Math.min(max, pendingQueue.size());
            for (int i = 0; i < n; i++) {
                Long[] p = pendingQueue.pollFirst();
                tryPlace(p[0], p[1].intValue());
            }
        }

        void mix(String s) {
            for (int i = 0; i < s.length(); i++) {
                hash ^= s.charAt(i);
                hash *= 0x100000001b3L;
            }
        }
    }

    static Result run(List<WorkerCapacity> fleet, List<Model> models, long seed, int events,
                      PlacementSettings settings) {
        Sim sim = new Sim(fleet, models, settings);
        Random random = new Random(seed ^ 0x5DEECE66DL);
        for (int m = 0; m < models.size(); m++) {
            for (int r = 0; r < models.get(m).replicas(); r++) {
                sim.tryPlace(sim.nextId++, m);
                sim.heartbeat();
            }
        }
        List<String> lost = new ArrayList<>();
        for (int e = 0; e < events; e++) {
            double kind = random.nextDouble();
            if (kind < 0.10) {
                // a worker is lost: its instances (main or subordinate) are replaced elsewhere
                String id = String.format(Locale.ROOT, "w%04d", random.nextInt(WORKERS));
                if (sim.cluster.worker(id).state() != WorkerState.READY) {
                    continue;
                }
                sim.setState(id, WorkerState.UNREACHABLE);
                lost.add(id);
                List<Live> affected = sim.live.values().stream().filter(l -> l.workers().contains(id)).toList();
                for (Live l : affected) {
                    sim.remove(l);
                    sim.heartbeat();
                    sim.tryPlace(l.id(), models.indexOf(l.model()));
                    sim.heartbeat();
                }
            } else if (kind < 0.20 && !lost.isEmpty()) {
                sim.setState(lost.remove(0), WorkerState.READY);
                sim.retryPending(20);
            } else if (kind < 0.60) {
                // scale up one model by one replica
                sim.tryPlace(sim.nextId++, random.nextInt(models.size()));
            } else if (!sim.live.isEmpty()) {
                // scale down: the oldest live instance of a random model position goes
                int skip = random.nextInt(Math.min(sim.live.size(), 500));
                Live victim = sim.live.values().stream().skip(skip).findFirst().orElseThrow();
                sim.remove(victim);
                sim.heartbeat();
                sim.retryPending(5);
            }
            sim.heartbeat();
        }
        long claimed = 0;
        long allocatable = 0;
        long total = 0;
        for (WorkerCapacity w : sim.cluster.workers()) {
            for (GpuCapacity g : w.gpus()) {
                claimed += g.claimedBytes();
                allocatable += g.totalBytes() - settings.vramReservedBytes();
                total += g.totalBytes();
            }
        }
        return new Result(sim.decisions, sim.placedCount, Arrays.copyOf(sim.latencies, (int) sim.decisions),
                sim.totalNs, sim.hash, sim.pendingQueue.size(), claimed, allocatable, total, sim.oom,
                sim.live.size());
    }
}
