package dev.gpufleet.scheduler.metrics;

import dev.gpufleet.scheduler.instances.InstanceReconciler;
import dev.gpufleet.scheduler.metrics.FleetFigures.InstanceRow;
import dev.gpufleet.scheduler.metrics.FleetFigures.PendingReason;
import dev.gpufleet.scheduler.metrics.FleetFigures.WorkerRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FleetFiguresTest {
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    /** Messages as the scheduler writes them (InstanceReconciler, NoFitExplanation). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
            "NULL|waiting_for_placement",
            InstanceReconciler.WAITING_FOR_PLACEMENT + "|waiting_for_placement",
            "replaces qwen-7b-x1y2, which keeps serving until this one runs: worker draining|replacing",
            "No suitable workers. small-vm-1a2b3c: needs 100.0 GiB RAM, 12.0 GiB allocatable|no_fit",
            "No suitable workers. No workers registered.|no_fit",
    })
    void pendingReasons(String message, PendingReason expected) {
        assertEquals(expected, PendingReason.of(message));
    }

    @Test
    void countsByModelStateAndReasonWithRestartsAgesAndClaims() {
        List<InstanceRow> instances = List.of(
                new InstanceRow("qwen", "RUNNING", "running", 0, "gpu-a", Map.of(0, 10L, 1, 10L)),
                new InstanceRow("qwen", "RUNNING", "running", 1, "gpu-b", Map.of(0, 10L)),
                new InstanceRow("qwen", "PENDING", "No suitable workers. No workers registered.", 0, null, Map.of()),
                new InstanceRow("llama", "ERROR", "exited with 1", 4, "gpu-a", Map.of(0, 5L)),
                new InstanceRow("llama", "PENDING", null, 0, null, Map.of()));
        List<WorkerRow> workers = List.of(
                new WorkerRow("gpu-a", "READY", NOW.minusSeconds(3)),
                new WorkerRow("gpu-b", "UNREACHABLE", NOW.minusSeconds(95)),
                new WorkerRow("clock-skewed", "READY", NOW.plusSeconds(2)));

        FleetFigures f = FleetFigures.of(instances, workers, NOW);

        assertEquals(Map.of(List.of("qwen", "RUNNING"), 2L, List.of("qwen", "PENDING"), 1L,
                List.of("llama", "ERROR"), 1L, List.of("llama", "PENDING"), 1L), f.instancesByModelAndState());
        assertEquals(Map.of(List.of("qwen", "no_fit"), 1L, List.of("llama", "waiting_for_placement"), 1L),
                f.pendingByModelAndReason());
        assertEquals(Map.of("qwen", 1L, "llama", 4L), f.recentRestartsByModel());
        assertEquals(Map.of("READY", 2L, "UNREACHABLE", 1L), f.workersByState());
        assertEquals(Map.of("gpu-a", 3.0, "gpu-b", 95.0, "clock-skewed", 0.0), f.heartbeatAgeSecondsByWorker());
        assertEquals(Map.of(List.of("gpu-a", "0"), 15L, List.of("gpu-a", "1"), 10L, List.of("gpu-b", "0"), 10L),
                f.claimedVramBytesByWorkerAndGpu());
    }
}
