package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.DistributedGroup;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.workers.Worker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The fleet's capacity in memory: every worker's facts (devices, memory, state) and every claim held on them, the
 * committed ones and those of placements whose transaction has not ended yet. A placement decides and holds its
 * claim in one step under this ledger's lock ({@link #place}), so two placements never count the same free memory;
 * when the transaction commits, the claim becomes committed ({@link #committed}); when it fails, it is given back
 * ({@link #release}). Workers' facts and committed claims are set, never added to: applying the same change twice
 * leaves the same ledger.
 */
final class CapacityLedger {
    /** What one placed instance holds: on its worker and on its subordinate workers. */
    record Held(String modelId, String workerId, ResourceClaim claim, List<SubordinateWorker> subordinates,
                DistributedGroup group) {

        /** What a stored instance holds; null when it holds nothing (not placed). */
        static Held of(Instance instance) {
            if (instance.workerId == null || instance.assignment == null) {
                return null;
            }
            List<SubordinateWorker> subs = instance.assignment.subordinates() == null ? List.of()
                    : instance.assignment.subordinates();
            return new Held(instance.modelId, instance.workerId, instance.assignment.claim(), subs,
                    DistributedGroup.of(instance.launchPlan == null ? null : instance.launchPlan.backend(), subs));
        }

        static Held of(PlacementDecision.Placed placed, String modelId, String backend) {
            return new Held(modelId, placed.workerId(), placed.claim(), placed.subordinates(),
                    DistributedGroup.of(backend, placed.subordinates()));
        }

        Set<String> workerIds() {
            Set<String> ids = new LinkedHashSet<>();
            ids.add(workerId);
            subordinates.forEach(sub -> ids.add(sub.workerId()));
            return ids;
        }
    }

    /** A placement's decision, with the workers it names as they were when it was made. */
    /** @param decisionNanos how long the engine took to decide, for the placement timer */
    record Decided(UUID instanceId, PlacementDecision decision, Map<String, Worker> workers, long decisionNanos) {
    }

    private final PlacementSettings settings;
    private final Map<String, Worker> workers = new HashMap<>();
    private final Map<UUID, Held> committed = new HashMap<>();
    private final Map<UUID, Held> tentative = new HashMap<>();
    /** Which claims (committed or tentative) touch each worker, as main or subordinate worker. */
    private final Map<String, Set<UUID>> onWorker = new HashMap<>();
    private ClusterSnapshot cluster;

    CapacityLedger(PlacementSettings settings) {
        this.settings = settings == null ? PlacementSettings.DEFAULT : settings;
        this.cluster = ClusterSnapshot.of(List.of(), this.settings);
    }

    /** Starts over from the stored workers and placed instances (those that hold nothing are skipped). */
    synchronized void install(Collection<Worker> storedWorkers, Collection<Instance> placed) {
        workers.clear();
        committed.clear();
        tentative.clear();
        onWorker.clear();
        storedWorkers.forEach(w -> workers.put(w.id, w));
        for (Instance instance : placed) {
            Held held = Held.of(instance);
            if (held != null) {
                committed.put(instance.id, held);
                index(instance.id, held);
            }
        }
        List<WorkerCapacity> all = new ArrayList<>(workers.size());
        workers.keySet().forEach(id -> all.add(capacity(id)));
        cluster = ClusterSnapshot.of(all, settings);
    }

    /** The cluster as the next placement would see it. */
    synchronized ClusterSnapshot cluster() {
        return cluster;
    }

    synchronized int tentativeClaims() {
        return tentative.size();
    }

    /**
     * Workers as stored after a commit. A worker's facts are replaced only by ones written at the same time or
     * later ({@code updatedAt}), so a change read before another was applied cannot undo it.
     */
    synchronized void workers(Collection<Worker> changed) {
        Set<String> touched = new LinkedHashSet<>();
        for (Worker worker : changed) {
            Worker held = workers.get(worker.id);
            if (held != null && held.updatedAt != null && worker.updatedAt != null
                    && worker.updatedAt.isBefore(held.updatedAt)) {
                continue;
            }
            workers.put(worker.id, worker);
            touched.add(worker.id);
        }
        refresh(touched);
    }

    /**
     * Decides where each of {@code instanceIds} goes, in order, each decision seeing the claims of those before it,
     * and holds each placement's claim at once (tentatively, until {@link #committed} or {@link #release}).
     */
    synchronized List<Decided> place(List<UUID> instanceIds, String modelId, PlacementRequest request) {
        List<Decided> decided = new ArrayList<>(instanceIds.size());
        for (UUID id : instanceIds) {
            long decidingSince = System.nanoTime();
            PlacementDecision decision = PlacementEngine.place(cluster, request);
            long decisionNanos = System.nanoTime() - decidingSince;
            Map<String, Worker> named = Map.of();
            if (decision instanceof PlacementDecision.Placed placed) {
                Held held = Held.of(placed, modelId, request.backend());
                Held before = tentative.put(id, held);
                if (before != null) {
                    unindex(id, before);
                }
                index(id, held);
                refresh(before == null ? held.workerIds() : union(held.workerIds(), before.workerIds()));
                named = new HashMap<>();
                for (String workerId : held.workerIds()) {
                    Worker worker = workers.get(workerId);
                    if (worker != null) {
                        named.put(workerId, worker);
                    }
                }
            }
            decided.add(new Decided(id, decision, named, decisionNanos));
        }
        return decided;
    }

    /**
     * Instances as committed: each now holds what it holds in the database (nothing once deleted or unplaced), and
     * any tentative claim of theirs is settled.
     */
    synchronized void committed(Collection<Instance> instances, Collection<UUID> deleted) {
        Set<String> touched = new HashSet<>();
        for (Instance instance : instances) {
            settle(instance.id, Held.of(instance), touched);
        }
        for (UUID id : deleted) {
            settle(id, null, touched);
        }
        refresh(touched);
    }

    /** Gives back the tentative claims of a placement whose transaction failed. */
    synchronized void release(Collection<UUID> instanceIds) {
        Set<String> touched = new HashSet<>();
        for (UUID id : instanceIds) {
            Held held = tentative.remove(id);
            if (held != null) {
                unindex(id, held);
                touched.addAll(held.workerIds());
            }
        }
        refresh(touched);
    }

    private void settle(UUID id, Held now, Set<String> touched) {
        Held wasTentative = tentative.remove(id);
        Held was = now == null ? committed.remove(id) : committed.put(id, now);
        for (Held old : new Held[] {wasTentative, was}) {
            if (old != null) {
                unindex(id, old);
                touched.addAll(old.workerIds());
            }
        }
        if (now != null) {
            index(id, now);
            touched.addAll(now.workerIds());
        }
    }

    private void index(UUID id, Held held) {
        held.workerIds().forEach(w -> onWorker.computeIfAbsent(w, k -> new HashSet<>()).add(id));
    }

    /**
     * Drops the id from the workers {@code held} (already out of its map) names, but not from those its claims still
     * held name.
     */
    private void unindex(UUID id, Held held) {
        Set<String> keep = new HashSet<>();
        for (Held still : new Held[] {tentative.get(id), committed.get(id)}) {
            if (still != null) {
                keep.addAll(still.workerIds());
            }
        }
        for (String workerId : held.workerIds()) {
            if (keep.contains(workerId)) {
                continue;
            }
            Set<UUID> ids = onWorker.get(workerId);
            if (ids != null) {
                ids.remove(id);
                if (ids.isEmpty()) {
                    onWorker.remove(workerId);
                }
            }
        }
    }

    /** Recomputes these workers from their facts and every claim on them. */
    private void refresh(Set<String> workerIds) {
        List<WorkerCapacity> changed = new ArrayList<>(workerIds.size());
        for (String id : workerIds) {
            if (workers.containsKey(id)) {
                changed.add(capacity(id));
            }
        }
        if (!changed.isEmpty()) {
            cluster = cluster.withWorkers(changed);
        }
    }

    /**
     * One worker with the claims held on it: an instance with both a committed and a tentative claim (placed again
     * in a transaction not yet ended) counts both, the stricter reading until the transaction ends.
     */
    private WorkerCapacity capacity(String workerId) {
        long ram = 0;
        Map<Integer, Long> vram = new HashMap<>();
        Set<String> vllm = new TreeSet<>();
        Set<String> mindie = new TreeSet<>();
        for (UUID id : onWorker.getOrDefault(workerId, Set.of())) {
            for (Held held : new Held[] {committed.get(id), tentative.get(id)}) {
                if (held == null) {
                    continue;
                }
                if (held.workerId().equals(workerId)) {
                    ram += add(vram, held.claim());
                }
                boolean member = held.workerId().equals(workerId);
                for (SubordinateWorker sub : held.subordinates()) {
                    if (sub.workerId().equals(workerId)) {
                        ram += add(vram, sub.claim());
                        member = true;
                    }
                }
                if (member && held.group() == DistributedGroup.VLLM_RAY) {
                    vllm.add(held.modelId());
                } else if (member && held.group() == DistributedGroup.MINDIE) {
                    mindie.add(held.modelId());
                }
            }
        }
        return CapacitySnapshot.capacity(workers.get(workerId), ram, vram, vllm, mindie);
    }

    private static long add(Map<Integer, Long> vram, ResourceClaim claim) {
        if (claim == null) {
            return 0;
        }
        claim.vramBytesByGpu().forEach((gpu, bytes) -> vram.merge(gpu, bytes, Long::sum));
        return claim.ramBytes();
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return all;
    }
}
