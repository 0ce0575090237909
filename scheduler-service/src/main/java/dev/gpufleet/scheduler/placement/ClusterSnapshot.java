package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster as placement sees it: every worker, in worker-id order, with the facts placement needs computed once
 * (allocatable RAM and VRAM, effective labels, vendors). Immutable: a claim gives a new snapshot that shares every
 * worker it did not change.
 */
public final class ClusterSnapshot {
    private final PlacementSettings settings;
    private final WorkerFacts[] workers;
    private final Map<String, Integer> positionById;

    private ClusterSnapshot(PlacementSettings settings, WorkerFacts[] workers, Map<String, Integer> positionById) {
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
        WorkerFacts[] facts = new WorkerFacts[ids.length];
        Map<String, Integer> positions = new HashMap<>(ids.length * 2);
        for (int i = 0; i < ids.length; i++) {
            facts[i] = new WorkerFacts(byId.get(ids[i]), s);
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
        return Arrays.stream(workers).map(WorkerFacts::worker).toList();
    }

    public WorkerCapacity worker(String id) {
        Integer position = positionById.get(id);
        return position == null ? null : workers[position].worker();
    }

    /** The facts of the worker at {@code position}, 0 to {@link #size()} − 1 in worker-id order. */
    public WorkerFacts facts(int position) {
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
        WorkerFacts[] copy = workers.clone();
        apply(copy, placed.workerId(), placed.claim(), sign, modelId, group);
        for (SubordinateWorker sub : placed.subordinates()) {
            apply(copy, sub.workerId(), sub.claim(), sign, modelId, group);
        }
        return new ClusterSnapshot(settings, copy, positionById);
    }

    private ClusterSnapshot with(Map<String, ResourceClaim> claims, int sign) {
        WorkerFacts[] copy = workers.clone();
        claims.forEach((id, claim) -> apply(copy, id, claim, sign, null, DistributedGroup.NONE));
        return new ClusterSnapshot(settings, copy, positionById);
    }

    private void apply(WorkerFacts[] copy, String workerId, ResourceClaim claim, int sign, String modelId,
                       DistributedGroup group) {
        Integer position = positionById.get(workerId);
        if (position == null) {
            return;
        }
        WorkerCapacity worker = copy[position].worker().withClaim(claim, sign);
        if (group == DistributedGroup.VLLM_RAY) {
            worker = worker.withDistributedVllm(modelId, sign > 0);
        } else if (group == DistributedGroup.MINDIE) {
            worker = worker.withDistributedMindie(modelId, sign > 0);
        }
        copy[position] = new WorkerFacts(worker, settings);
    }

    /** The same cluster with these workers replaced or added (a heartbeat, a state change). */
    public ClusterSnapshot withWorkers(Collection<WorkerCapacity> changed) {
        boolean added = changed.stream().anyMatch(w -> !positionById.containsKey(w.id()));
        if (added) {
            Map<String, WorkerCapacity> all = new LinkedHashMap<>();
            for (WorkerFacts f : workers) {
                all.put(f.worker().id(), f.worker());
            }
            changed.forEach(w -> all.put(w.id(), w));
            return of(all.values(), settings);
        }
        WorkerFacts[] copy = workers.clone();
        for (WorkerCapacity worker : changed) {
            copy[positionById.get(worker.id())] = new WorkerFacts(worker, settings);
        }
        return new ClusterSnapshot(settings, copy, positionById);
    }
}
