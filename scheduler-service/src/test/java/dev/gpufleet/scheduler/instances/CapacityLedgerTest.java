package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import dev.gpufleet.scheduler.workers.Worker;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.gpufleet.scheduler.instances.CapacitySnapshotTest.GIB;
import static dev.gpufleet.scheduler.instances.CapacitySnapshotTest.gpu;
import static dev.gpufleet.scheduler.instances.CapacitySnapshotTest.worker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CapacityLedgerTest {
    /** llama-box, whole on one GPU (no CPU offloading), 10 GiB of VRAM: two fit on a 24 GiB L4, a third does not. */
    static PlacementRequest tenGib(String modelId) {
        ModelSpec spec = new ModelSpec("m-" + modelId, ModelSource.localPath("/models/m.gguf"), "llama-box", null,
                List.of(), Map.of(), 1, List.of("llm"), "binpack", false, false, Map.of(), List.of(), true, false,
                null);
        return PlacementRequest.of(modelId, spec, new ResourceEstimate(GIB / 2, 10 * GIB));
    }

    static List<Worker> fleet() {
        return List.of(worker("w1", gpu(0, 0), gpu(1, 0)), worker("w2", gpu(0, 0)), worker("w3", gpu(0, 0)));
    }

    @Test
    void concurrentPlacementsNeverHoldTheSameGpuMemoryTwice() throws Exception {
        int threads = 8;
        int perThread = 3;
        CapacityLedger sequential = new CapacityLedger(PlacementSettings.DEFAULT);
        sequential.install(fleet(), List.of());
        int placedOneAtATime = 0;
        for (int n = 0; n < threads * perThread; n++) {
            placedOneAtATime += placed(sequential.place(List.of(UUID.randomUUID()), "model-" + n, tenGib("model-" + n)));
        }

        CapacityLedger ledger = new CapacityLedger(PlacementSettings.DEFAULT);
        ledger.install(fleet(), List.of());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<CapacityLedger.Decided>>> runs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String modelId = "model-" + t;
            runs.add(pool.submit(() -> {
                start.await();
                List<CapacityLedger.Decided> all = new ArrayList<>();
                for (int n = 0; n < perThread; n++) {
                    all.addAll(ledger.place(List.of(UUID.randomUUID()), modelId, tenGib(modelId)));
                }
                return all;
            }));
        }
        start.countDown();
        List<CapacityLedger.Decided> decided = Collections.synchronizedList(new ArrayList<>());
        for (Future<List<CapacityLedger.Decided>> run : runs) {
            decided.addAll(run.get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();

        assertTrue(placedOneAtATime > 0 && placedOneAtATime < threads * perThread, "the fleet fills up: "
                + placedOneAtATime);
        assertEquals(placedOneAtATime, placed(decided), "as many placed side by side as one at a time");
        assertEquals(placedOneAtATime, ledger.tentativeClaims());
        // what the placements claim on each GPU, summed from their decisions, fits the GPU
        Map<String, Long> claimedPerGpu = new java.util.HashMap<>();
        for (CapacityLedger.Decided d : decided) {
            if (d.decision() instanceof PlacementDecision.Placed p) {
                p.claim().vramBytesByGpu().forEach((gpu, bytes) -> claimedPerGpu.merge(p.workerId() + "/" + gpu,
                        bytes, Long::sum));
            }
        }
        for (WorkerCapacity worker : ledger.cluster().workers()) {
            for (GpuCapacity gpu : worker.gpus()) {
                long claimed = claimedPerGpu.getOrDefault(worker.id() + "/" + gpu.index(), 0L);
                assertEquals(claimed, gpu.claimedBytes(), "the ledger counts every claim once");
                assertTrue(claimed <= gpu.totalBytes() - PlacementSettings.DEFAULT.vramReservedBytes(),
                        worker.id() + "/" + gpu.index() + " overcommitted: " + claimed);
            }
        }
    }

    @Test
    void aClaimHeldUntilItsTransactionEndsIsKeptOnCommitAndGivenBackOnFailure() {
        CapacityLedger ledger = new CapacityLedger(PlacementSettings.DEFAULT);
        ledger.install(List.of(worker("w1", gpu(0, 0))), List.of());
        UUID kept = UUID.randomUUID();
        UUID failed = UUID.randomUUID();
        assertEquals(1, placed(ledger.place(List.of(kept), "a", tenGib("a"))));
        assertEquals(1, placed(ledger.place(List.of(failed), "b", tenGib("b"))));
        assertEquals(0, placed(ledger.place(List.of(UUID.randomUUID()), "c", tenGib("c"))), "the GPU is full");

        ledger.release(List.of(failed));
        ledger.committed(List.of(placedOn(kept, "w1", 10 * GIB)), List.of());
        assertEquals(0, ledger.tentativeClaims());
        assertEquals(10 * GIB, ledger.cluster().worker("w1").gpus().get(0).claimedBytes());

        ledger.committed(List.of(), List.of(kept));
        assertEquals(0, ledger.cluster().worker("w1").gpus().get(0).claimedBytes(), "deleted: nothing held");
    }

    @Test
    void aWorkerChangedByAnOlderReadDoesNotUndoANewerOne() {
        CapacityLedger ledger = new CapacityLedger(PlacementSettings.DEFAULT);
        Worker old = worker("w1", gpu(0, 0));
        old.updatedAt = Instant.parse("2026-01-01T00:00:00Z");
        ledger.install(List.of(old), List.of());
        Worker newer = worker("w1", gpu(0, 5));
        newer.updatedAt = old.updatedAt.plusSeconds(5);
        ledger.workers(List.of(newer));
        ledger.workers(List.of(old));
        assertEquals(5 * GIB, ledger.cluster().worker("w1").gpus().get(0).usedBytes());
    }

    @Test
    void installedFromTheStoredRowsItEqualsTheSnapshotPlacementLoadedBefore() {
        List<Worker> workers = fleet();
        List<Instance> placed = List.of(placedOn(UUID.randomUUID(), "w1", 4 * GIB),
                placedOn(UUID.randomUUID(), "w2", 7 * GIB), placedOn(UUID.randomUUID(), "gone", GIB));
        CapacityLedger ledger = new CapacityLedger(PlacementSettings.DEFAULT);
        ledger.install(workers, placed);
        assertEquals(CapacitySnapshot.of(workers, placed).workers(), ledger.cluster().workers());
    }

    static Instance placedOn(UUID id, String workerId, long vram) {
        Instance instance = CapacitySnapshotTest.on(workerId, new ResourceClaim(GIB / 2, Map.of(0, vram)));
        instance.id = id;
        instance.modelId = "model";
        instance.launchPlan = LaunchPlan.of(tenGibSpec());
        return instance;
    }

    private static ModelSpec tenGibSpec() {
        return new ModelSpec("m", ModelSource.localPath("/models/m.gguf"), "llama-box", null, List.of(), Map.of(), 1,
                List.of("llm"), "binpack", false, false, Map.of(), List.of(), true, false, null);
    }

    private static int placed(List<CapacityLedger.Decided> decided) {
        return (int) decided.stream().filter(d -> d.decision() instanceof PlacementDecision.Placed).count();
    }
}
