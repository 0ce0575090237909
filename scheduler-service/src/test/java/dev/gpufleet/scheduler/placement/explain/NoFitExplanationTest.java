package dev.gpufleet.scheduler.placement.explain;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a no-fit message says, and what it leaves out. */
class NoFitExplanationTest extends PlacementTable {

    static Stream<Arguments> rows() {
        return Stream.of(
                row("no workers at all", List.of(), req("llama-box", L20),
                        "No suitable workers. No workers registered."),
                row("a backend placement does not know is said so", List.of(G80), req("SGLang", L20),
                        "No suitable workers. backend 'sglang' is not one of llama-box, vllm, vox-box, mindie."),
                row("no estimate, and no fit: said so", List.of(CPU), req("vllm", null),
                        "No suitable workers. No estimate yet, so needs count as 0 bytes. cpu: no GPU, and vllm"
                                + " needs one"),
                row("workers outside the selector are summed up, not listed", List.of(G24, worker("z",
                                WorkerState.NOT_READY, "linux", Map.of("zone", "b"), 64, 0)),
                        selector(req("llama-box", L20), Map.of("zone", "b")),
                        "No suitable workers. z: NOT_READY; other workers do not match worker_selector {zone=b}"),
                row("a selector of several labels, said in a stable order", List.of(CPU),
                        selector(req("llama-box", L20), Map.of("zone", "a", "os", "linux", "gpu", "h100")),
                        "No suitable workers. No worker matches worker_selector {gpu=h100,os=linux,zone=a}."),
                row("RAM that cannot hold the GPU shape's host part is named",
                        List.of(worker("w", 3, nvidia(0, 24, 0, 0))), req("llama-box", L20, false, false),
                        "No suitable workers. w: needs 21.5 GiB VRAM, largest free GPU has 23.0 GiB, and 1.2 GiB"
                                + " RAM, 1.0 GiB allocatable"));
    }

    @Test
    void longListsOfWorkersAreCutAndEveryReasonIsKept() {
        List<WorkerCapacity> many = new ArrayList<>();
        for (int n = 10; n < 23; n++) {
            many.add(worker("w" + n, WorkerState.NOT_READY, "linux", Map.of(), 8, 0));
        }
        var noFit = assertInstanceOf(PlacementDecision.NoFit.class,
                PlacementEngine.place(ClusterSnapshot.of(many), req("llama-box", L20)));
        assertTrue(noFit.reason().startsWith("No suitable workers. w10: NOT_READY; w11: NOT_READY;"), noFit.reason());
        assertTrue(noFit.reason().endsWith("w19: NOT_READY; and 3 more"), noFit.reason());
        assertEquals(13, noFit.perWorker().size());
        assertEquals("NOT_READY", noFit.perWorker().get("w22"));
    }}
