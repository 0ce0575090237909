package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.DistributedGroup;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.workers.BackendVersions;
import dev.gpufleet.scheduler.workers.Worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The cluster as placement sees it: every worker with the claims of the instances placed on it. */
final class CapacitySnapshot {
    private ClusterSnapshot cluster;

    private CapacitySnapshot(ClusterSnapshot cluster) {
        this.cluster = cluster;
    }

    static CapacitySnapshot of(List<Worker> workers, List<Instance> placed) {
        return of(workers, placed, PlacementSettings.DEFAULT);
    }

    static CapacitySnapshot of(List<Worker> workers, List<Instance> placed, PlacementSettings settings) {
        Map<String, Long> ramClaims = new HashMap<>();
        Map<String, Map<Integer, Long>> vramClaims = new HashMap<>();
        Map<String, Set<String>> distributedVllm = new HashMap<>();
        Map<String, Set<String>> distributedMindie = new HashMap<>();
        for (Instance instance : placed) {
            if (instance.workerId == null || instance.assignment == null) {
                continue;
            }
            add(ramClaims, vramClaims, instance.workerId, instance.assignment.claim());
            DistributedGroup group = DistributedGroup.of(instance.launchPlan == null ? null
                    : instance.launchPlan.backend(), instance.assignment.subordinates());
            Map<String, Set<String>> members = group == DistributedGroup.VLLM_RAY ? distributedVllm
                    : group == DistributedGroup.MINDIE ? distributedMindie : null;
            if (members != null) {
                members.computeIfAbsent(instance.workerId, id -> new TreeSet<>()).add(instance.modelId);
            }
            for (SubordinateWorker sub : instance.assignment.subordinates()) {
                add(ramClaims, vramClaims, sub.workerId(), sub.claim());
                if (members != null) {
                    members.computeIfAbsent(sub.workerId(), id -> new TreeSet<>()).add(instance.modelId);
                }
            }
        }
        List<WorkerCapacity> capacities = new ArrayList<>(workers.size());
        for (Worker worker : workers) {
            capacities.add(capacity(worker, ramClaims.getOrDefault(worker.id, 0L),
                    vramClaims.getOrDefault(worker.id, Map.of()), distributedVllm.getOrDefault(worker.id, Set.of()),
                    distributedMindie.getOrDefault(worker.id, Set.of())));
        }
        return new CapacitySnapshot(ClusterSnapshot.of(capacities, settings));
    }

    /** A worker as placement sees it, with what our instances claim on it. */
    static WorkerCapacity capacity(Worker worker, long ramClaimed, Map<Integer, Long> vramClaimedByGpu,
                                   Set<String> distributedVllm, Set<String> distributedMindie) {
        List<GpuCapacity> gpus = new ArrayList<>();
        List<GpuDevice> devices = worker.gpus == null ? List.of() : worker.gpus.devices();
        for (GpuDevice device : devices) {
            gpus.add(new GpuCapacity(device.index(), device.vendor(), device.type(), device.name(),
                    device.memoryTotalBytes(), device.memoryUsedBytes(),
                    vramClaimedByGpu.getOrDefault(device.index(), 0L), device.deviceIp()));
        }
        return new WorkerCapacity(worker.id, worker.name, worker.state, worker.os, worker.arch,
                worker.labels, worker.memoryTotalBytes, worker.memoryUsedBytes, ramClaimed, gpus, distributedVllm,
                distributedMindie, BackendVersions.merged(worker.backendVersions, worker.registeredBackendVersions)
                .stream().map(v -> WorkerCapacity.versionKey(v.backend(), v.version()))
                .collect(java.util.stream.Collectors.toSet()), readyModelFiles(worker));
    }

    /** The sources whose files the worker's latest heartbeat lists as READY. */
    private static Set<String> readyModelFiles(Worker worker) {
        if (worker.modelFiles == null) {
            return Set.of();
        }
        return worker.modelFiles.sets().stream().filter(s -> s.state() == ModelFileSet.State.READY)
                .map(ModelFileSet::key).filter(java.util.Objects::nonNull)
                .collect(java.util.stream.Collectors.toSet());
    }

    private static void add(Map<String, Long> ramClaims, Map<String, Map<Integer, Long>> vramClaims, String workerId,
                            ResourceClaim claim) {
        if (claim == null) {
            return;
        }
        ramClaims.merge(workerId, claim.ramBytes(), Long::sum);
        Map<Integer, Long> byGpu = vramClaims.computeIfAbsent(workerId, id -> new HashMap<>());
        claim.vramBytesByGpu().forEach((gpu, bytes) -> byGpu.merge(gpu, bytes, Long::sum));
    }

    ClusterSnapshot cluster() {
        return cluster;
    }

    List<WorkerCapacity> workers() {
        return cluster.workers();
    }

    /** Counts a new claim, so the next placement in the same pass sees it. */
    void claim(String workerId, ResourceClaim claim) {
        cluster = cluster.withClaim(workerId, claim);
    }

    /** Counts a placement's claims, its subordinate workers' too, and the group they form (Ray, MindIE). */
    void claim(PlacementDecision.Placed placed, String modelId, String backend) {
        cluster = cluster.withPlacement(placed, modelId, backend);
    }
}
