package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cluster as placement sees it: every worker, in worker-id order, with the facts placement needs computed once
 * (allocatable RAM and VRAM, effective labels, vendors). Immutable: a claim gives a new snapshot that shares every
 * worker it did not change.
 */
public final class ClusterSnapshot {
    private final PlacementSettings settings;
    private final Facts[] workers;
    private final Map<String, Integer> positionById;

    private ClusterSnapshot(PlacementSettings settings, Facts[] workers, Map<String, Integer> positionById) {
        this.settings = settings;
        this.workers = workers;
        this.positionById = positionById;
    }

    public static ClusterSnapshot of(Collection<WorkerCapacity> workers, PlacementSettings settings) {
        PlacementSettings s = settings == null ? PlacementSettings.DEFAULT : settings;
        // a worker id reported twice keeps its last entry; the order is by id, never by arrival
        Map<String, WorkerCapacity> byId = new LinkedHashMap<>();
        for (WorkerCapacity worker : workers) {
            byId.put(worker.id(), worker);
        }
        String[] ids = byId.keySet().toArray(new String[0]);
        Arrays.sort(ids);
        Facts[] facts = new Facts[ids.length];
        Map<String, Integer> positions = new HashMap<>(ids.length * 2);
        for (int i = 0; i < ids.length; i++) {
            facts[i] = new Facts(byId.get(ids[i]), s);
            positions.put(ids[i], i);
        }
        return new ClusterSnapshot(s, facts, positions);
    }

    public static ClusterSnapshot of(Collection<WorkerCapacity> workers) {
        return of(workers, PlacementSettings.DEFAULT);
    }

    public PlacementSettings settings() {
        return settings;
    }

    public int size() {
        return workers.length;
    }

    public List<WorkerCapacity> workers() {
        return Arrays.stream(workers).map(f -> f.worker).toList();
    }

    public WorkerCapacity worker(String id) {
        Integer position = positionById.get(id);
        return position == null ? null : workers[position].worker;
    }

    Facts facts(int position) {
        return workers[position];
    }

    /** The same cluster with {@code claim} held on worker {@code workerId} (unknown ids change nothing). */
    public ClusterSnapshot withClaim(String workerId, ResourceClaim claim) {
        return with(Map.of(workerId, claim), 1);
    }

    /** The same cluster with a placement's claims held, on its worker and its subordinate workers. */
    public ClusterSnapshot withPlacement(PlacementDecision.Placed placed, String modelId, boolean distributedVllm) {
        return withPlacement(placed, modelId, distributedVllm ? DistributedGroup.VLLM_RAY : DistributedGroup.NONE, 1);
    }

    /** The same cluster once a placement's claims are given back (the instance was removed). */
    public ClusterSnapshot withoutPlacement(PlacementDecision.Placed placed, String modelId, boolean distributedVllm) {
        return withPlacement(placed, modelId, distributedVllm ? DistributedGroup.VLLM_RAY : DistributedGroup.NONE, -1);
    }

    /**
     * The same cluster with a placement of {@code backend} held; its workers join the model's group when it spans
     * several ({@link DistributedGroup#of}).
     */
    public ClusterSnapshot withPlacement(PlacementDecision.Placed placed, String modelId, String backend) {
        return withPlacement(placed, modelId, DistributedGroup.of(backend, placed.subordinates()), 1);
    }

    public ClusterSnapshot withoutPlacement(PlacementDecision.Placed placed, String modelId, String backend) {
        return withPlacement(placed, modelId, DistributedGroup.of(backend, placed.subordinates()), -1);
    }

    private ClusterSnapshot withPlacement(PlacementDecision.Placed placed, String modelId, DistributedGroup group,
                                          int sign) {
        Facts[] copy = workers.clone();
        apply(copy, placed.workerId(), placed.claim(), sign, modelId, group);
        for (SubordinateWorker sub : placed.subordinates()) {
            apply(copy, sub.workerId(), sub.claim(), sign, modelId, group);
        }
        return new ClusterSnapshot(settings, copy, positionById);
    }

    private ClusterSnapshot with(Map<String, ResourceClaim> claims, int sign) {
        Facts[] copy = workers.clone();
        claims.forEach((id, claim) -> apply(copy, id, claim, sign, null, DistributedGroup.NONE));
        return new ClusterSnapshot(settings, copy, positionById);
    }

    private void apply(Facts[] copy, String workerId, ResourceClaim claim, int sign, String modelId,
                       DistributedGroup group) {
        Integer position = positionById.get(workerId);
        if (position == null) {
            return;
        }
        WorkerCapacity worker = copy[position].worker.withClaim(claim, sign);
        if (group == DistributedGroup.VLLM_RAY) {
            worker = worker.withDistributedVllm(modelId, sign > 0);
        } else if (group == DistributedGroup.MINDIE) {
            worker = worker.withDistributedMindie(modelId, sign > 0);
        }
        copy[position] = new Facts(worker, settings);
    }

    /** The same cluster with these workers replaced or added (a heartbeat, a state change). */
    public ClusterSnapshot withWorkers(Collection<WorkerCapacity> changed) {
        boolean added = changed.stream().anyMatch(w -> !positionById.containsKey(w.id()));
        if (added) {
            Map<String, WorkerCapacity> all = new LinkedHashMap<>();
            for (Facts f : workers) {
                all.put(f.worker.id(), f.worker);
            }
            changed.forEach(w -> all.put(w.id(), w));
            return of(all.values(), settings);
        }
        Facts[] copy = workers.clone();
        for (WorkerCapacity worker : changed) {
            copy[positionById.get(worker.id())] = new Facts(worker, settings);
        }
        return new ClusterSnapshot(settings, copy, positionById);
    }

    /** Per-worker facts placement reads in its hot loops, computed once per worker version. */
    static final class Facts {
        final WorkerCapacity worker;
        final Map<String, String> labels;
        final Set<String> vendors;
        final String os;
        final long allocRam;
        final long usableRam;
        final int gpuCount;
        final GpuCapacity[] gpus;
        final long[] alloc;
        final long[] usable;
        /** GPU positions by allocatable VRAM, largest first, ties by index. */
        final int[] byFree;
        final long maxAlloc;
        final long sumAlloc;

        Facts(WorkerCapacity worker, PlacementSettings settings) {
            this.worker = worker;
            this.os = worker.os() == null ? worker.labels().getOrDefault("os", "") : worker.os();
            GpuCapacity[] sorted = worker.gpus().toArray(new GpuCapacity[0]);
            Arrays.sort(sorted, (a, b) -> Integer.compare(a.index(), b.index()));
            this.gpus = sorted;
            this.gpuCount = sorted.length;
            this.alloc = new long[gpuCount];
            this.usable = new long[gpuCount];
            Set<String> vendorSet = new TreeSet<>();
            long max = 0;
            long sum = 0;
            for (int g = 0; g < gpuCount; g++) {
                alloc[g] = Math.max(0, sorted[g].allocatableBytes(settings));
                usable[g] = Math.max(1, sorted[g].totalBytes() - settings.vramReservedBytes());
                max = Math.max(max, alloc[g]);
                sum += alloc[g];
                vendorSet.add(sorted[g].vendor());
            }
            this.vendors = Set.copyOf(vendorSet);
            this.maxAlloc = max;
            this.sumAlloc = sum;
            this.allocRam = Math.max(0, worker.allocatableRamBytes(settings));
            this.usableRam = Math.max(1, worker.ramTotalBytes() - settings.ramReservedBytes());
            Integer[] order = new Integer[gpuCount];
            for (int g = 0; g < gpuCount; g++) {
                order[g] = g;
            }
            Arrays.sort(order, (a, b) -> alloc[a] != alloc[b] ? Long.compare(alloc[b], alloc[a])
                    : Integer.compare(sorted[a].index(), sorted[b].index()));
            this.byFree = new int[gpuCount];
            for (int g = 0; g < gpuCount; g++) {
                byFree[g] = order[g];
            }
            Map<String, String> effective = new HashMap<>();
            effective.put("os", os);
            if (worker.arch() != null) {
                effective.put("arch", worker.arch());
            }
            effective.put("worker-name", worker.name());
            effective.putAll(worker.labels());
            this.labels = effective;
        }

        int position(int gpuIndex) {
            for (int g = 0; g < gpuCount; g++) {
                if (gpus[g].index() == gpuIndex) {
                    return g;
                }
            }
            return -1;
        }
    }
}
