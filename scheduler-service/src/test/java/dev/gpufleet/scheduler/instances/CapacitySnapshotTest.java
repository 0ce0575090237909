package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.workers.GpuInventory;
import dev.gpufleet.scheduler.workers.Worker;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CapacitySnapshotTest {
    static final long GIB = 1L << 30;

    static Worker worker(String id, GpuDevice... gpus) {
        Worker worker = new Worker();
        worker.id = id;
        worker.name = id + "-name";
        worker.state = WorkerState.READY;
        worker.labels = Map.of("zone", "a");
        worker.os = "linux";
        worker.arch = "amd64";
        worker.memoryTotalBytes = 64 * GIB;
        worker.memoryUsedBytes = 3 * GIB;
        worker.gpus = new GpuInventory(List.of(gpus));
        return worker;
    }

    static GpuDevice gpu(int index, long usedGib) {
        return new GpuDevice(index, "nvidia", "cuda", "NVIDIA L4", "GPU-" + index, 24 * GIB, usedGib * GIB, 0);
    }

    static Instance on(String workerId, ResourceClaim claim) {
        Instance instance = new Instance();
        instance.workerId = workerId;
        instance.assignment = new Assignment(List.copyOf(claim.vramBytesByGpu().keySet()), claim);
        return instance;
    }

    @Test
    void sumsTheClaimsOfTheInstancesOnEachWorkerAndCountsNewOnes() {
        CapacitySnapshot snapshot = CapacitySnapshot.of(List.of(worker("w1", gpu(0, 1), gpu(1, 2)), worker("w2")),
                List.of(on("w1", new ResourceClaim(0, Map.of(0, 4 * GIB))),
                        on("w1", new ResourceClaim(GIB, Map.of(0, 2 * GIB, 1, 5 * GIB))),
                        on("w2", new ResourceClaim(6 * GIB, Map.of())),
                        on("gone", new ResourceClaim(9 * GIB, Map.of()))));
        snapshot.claim("w2", new ResourceClaim(GIB, Map.of()));
        snapshot.claim("unknown", new ResourceClaim(GIB, Map.of()));

        List<WorkerCapacity> workers = snapshot.workers().stream()
                .sorted(Comparator.comparing(WorkerCapacity::id)).toList();
        assertEquals(List.of(
                new WorkerCapacity("w1", "w1-name", WorkerState.READY, "linux", "amd64", Map.of("zone", "a"),
                        64 * GIB, 3 * GIB, GIB,
                        List.of(l4(0, GIB, 6 * GIB), l4(1, 2 * GIB, 5 * GIB)), Set.of()),
                new WorkerCapacity("w2", "w2-name", WorkerState.READY, "linux", "amd64", Map.of("zone", "a"),
                        64 * GIB, 3 * GIB, 7 * GIB, List.of(), Set.of())), workers);
    }

    static GpuCapacity l4(int index, long used, long claimed) {
        return new GpuCapacity(index, "nvidia", "cuda", "NVIDIA L4", 24 * GIB, used, claimed);
    }
}
