package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.workers.Worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The cluster as placement sees it: every worker with the claims of the instances placed on it. */
final class CapacitySnapshot {
    private final Map<String, WorkerCapacity> workers = new HashMap<>();

    private CapacitySnapshot() {
    }

    static CapacitySnapshot of(List<Worker> workers, List<Instance> placed) {
        Map<String, Long> ramClaims = new HashMap<>();
        Map<String, Map<Integer, Long>> vramClaims = new HashMap<>();
        for (Instance instance : placed) {
            if (instance.workerId == null || instance.assignment == null) {
                continue;
            }
            ResourceClaim claim = instance.assignment.claim();
            ramClaims.merge(instance.workerId, claim.ramBytes(), Long::sum);
            Map<Integer, Long> byGpu = vramClaims.computeIfAbsent(instance.workerId, id -> new HashMap<>());
            claim.vramBytesByGpu().forEach((gpu, bytes) -> byGpu.merge(gpu, bytes, Long::sum));
        }
        CapacitySnapshot snapshot = new CapacitySnapshot();
        for (Worker worker : workers) {
            Map<Integer, Long> byGpu = vramClaims.getOrDefault(worker.id, Map.of());
            List<GpuCapacity> gpus = new ArrayList<>();
            List<GpuDevice> devices = worker.gpus == null ? List.of() : worker.gpus.devices();
            for (GpuDevice device : devices) {
                gpus.add(new GpuCapacity(device.index(), device.memoryTotalBytes(), device.memoryUsedBytes(),
                        byGpu.getOrDefault(device.index(), 0L)));
            }
            snapshot.workers.put(worker.id, new WorkerCapacity(worker.id, worker.name, worker.state, worker.labels,
                    worker.memoryTotalBytes, worker.memoryUsedBytes, ramClaims.getOrDefault(worker.id, 0L), gpus));
        }
        return snapshot;
    }

    List<WorkerCapacity> workers() {
        return List.copyOf(workers.values());
    }

    /** Counts a new claim, so the next placement in the same pass sees it. */
    void claim(String workerId, ResourceClaim claim) {
        workers.computeIfPresent(workerId, (id, worker) -> worker.withClaim(claim));
    }
}
