package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.WorkerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FirstPlacementTest {
    static final long GIB = FirstPlacement.GIB;

    static long gib(double n) {
        return (long) (n * GIB);
    }

    static GpuCapacity gpu(int index, double total, double used, double claimed) {
        return new GpuCapacity(index, gib(total), gib(used), gib(claimed));
    }

    static WorkerCapacity worker(String id, WorkerState state, Map<String, String> labels, double ramTotal,
                                 double ramUsed, double ramClaimed, GpuCapacity... gpus) {
        return new WorkerCapacity(id, id, state, labels, gib(ramTotal), gib(ramUsed), gib(ramClaimed), List.of(gpus));
    }

    /** CPU only, 4 GiB RAM of which 1.2 used: 0.8 GiB allocatable. */
    static final WorkerCapacity VM = worker("vm", WorkerState.READY, Map.of(), 4, 1.2, 0);
    static final WorkerCapacity GPU_2 = worker("gpu-2", WorkerState.NOT_READY, Map.of(), 64, 1, 0, gpu(0, 24, 0, 0));
    /** One GPU with 24 − 1 − 2 = 21 GiB allocatable; 64 − 2 − 4 = 58 GiB RAM allocatable. */
    static final WorkerCapacity GPU_A = worker("gpu-a", WorkerState.READY, Map.of("zone", "a"), 64, 4, 0,
            gpu(0, 24, 2, 0));
    /** GPU 0: 24 − 1 − max(10 claimed, 0 used) = 13; GPU 1: 24 − 1 − max(1 claimed, 5 used) = 18. */
    static final WorkerCapacity GPU_B = worker("gpu-b", WorkerState.READY, Map.of("zone", "b", "os", "linux"), 64, 4,
            0, gpu(0, 24, 0, 10), gpu(1, 24, 5, 1));
    static final WorkerCapacity MAINTAINED = worker("gpu-m", WorkerState.MAINTENANCE, Map.of(), 64, 0, 0,
            gpu(0, 80, 0, 0));

    static PlacementRequest request(String backend, boolean cpuOffloading, Map<String, String> selector,
                                    Double ramGib, Double vramGib) {
        return new PlacementRequest(backend, cpuOffloading, selector,
                ramGib == null ? null : new ResourceEstimate(gib(ramGib), gib(vramGib)));
    }

    static Arguments row(String why, List<WorkerCapacity> workers, PlacementRequest request, String expected) {
        return Arguments.of(why, workers, request, expected);
    }

    static Stream<Arguments> table() {
        List<WorkerCapacity> all = List.of(VM, GPU_2, GPU_A, GPU_B, MAINTAINED);
        return Stream.of(
                row("the GPU with the most allocatable VRAM", all,
                        request("llama-box", true, Map.of(), 8.0, 8.0),
                        "gpu-a gpus=[0] ram=0.0 vram={0=8.0}"),
                row("the worker selector narrows the choice; then the freer of its GPUs", all,
                        request("vllm", false, Map.of("zone", "b"), 8.0, 8.0),
                        "gpu-b gpus=[1] ram=0.0 vram={1=8.0}"),
                row("exactly the allocatable VRAM still fits", all,
                        request("vllm", false, Map.of("zone", "b"), 18.0, 18.0),
                        "gpu-b gpus=[1] ram=0.0 vram={1=18.0}"),
                row("no GPU holds it: CPU only for llama-box with cpu_offloading", all,
                        request("llama-box", true, Map.of("zone", "b"), 20.0, 20.0),
                        "gpu-b gpus=[] ram=20.0 vram={}"),
                row("CPU only goes to the worker with the most allocatable RAM", List.of(VM, GPU_A, GPU_B),
                        request("vox-box", true, Map.of(), 0.5, 30.0),
                        "gpu-a gpus=[] ram=0.5 vram={}"),
                row("a GPU is preferred even where CPU has more room", List.of(VM, GPU_A),
                        request("llama-box", true, Map.of(), 0.1, 0.1),
                        "gpu-a gpus=[0] ram=0.0 vram={0=0.1}"),
                row("vLLM needs a GPU", all,
                        request("vllm", true, Map.of("zone", "b"), 20.0, 20.0),
                        "No suitable workers. gpu-b: needs 20.0 GiB VRAM, largest free GPU has 18.0 GiB; "
                                + "other workers do not match worker_selector {zone=b}"),
                row("MindIE needs a GPU", List.of(VM),
                        request("mindie", true, Map.of(), 1.0, 1.0),
                        "No suitable workers. vm: no GPU, and mindie needs one"),
                row("DESIGN's example: each worker's reason", List.of(VM, GPU_2),
                        request("llama-box", true, Map.of(), 1.2, 1.2),
                        "No suitable workers. gpu-2: NOT_READY; vm: needs 1.2 GiB RAM, 0.8 GiB allocatable"),
                row("GPU and CPU both too small", List.of(GPU_A),
                        request("llama-box", true, Map.of(), 60.0, 30.0),
                        "No suitable workers. gpu-a: needs 30.0 GiB VRAM, largest free GPU has 21.0 GiB, "
                                + "or 60.0 GiB RAM, 58.0 GiB allocatable"),
                row("cpu_offloading off keeps llama-box off the CPU", List.of(VM),
                        request("llama-box", false, Map.of(), 0.1, 0.1),
                        "No suitable workers. vm: no GPU, and cpu_offloading is off"),
                row("MAINTENANCE takes no new instances", List.of(MAINTAINED),
                        request("vllm", false, Map.of(), 1.0, 1.0),
                        "No suitable workers. gpu-m: MAINTENANCE"),
                row("no estimate: needs count as 0 bytes, READY still required", List.of(GPU_2, VM),
                        request("llama-box", true, Map.of(), null, null),
                        "vm gpus=[] ram=0.0 vram={}"),
                row("no estimate, and no fit: said so", List.of(GPU_2, VM),
                        request("vllm", false, Map.of(), null, null),
                        "No suitable workers. No estimate yet, so needs count as 0 bytes. gpu-2: NOT_READY; "
                                + "vm: no GPU, and vllm needs one"),
                row("no estimate still honours the worker selector", all,
                        request("llama-box", true, Map.of("os", "windows"), null, null),
                        "No suitable workers. No estimate yet, so needs count as 0 bytes. "
                                + "No worker matches worker_selector {os=windows}."),
                row("every label of the selector must match", all,
                        request("llama-box", true, Map.of("zone", "b", "os", "linux"), 1.0, 1.0),
                        "gpu-b gpus=[1] ram=0.0 vram={1=1.0}"),
                row("a selector of several labels, said in a stable order", List.of(VM),
                        request("llama-box", true, Map.of("zone", "a", "os", "linux", "gpu", "h100"), 1.0, 1.0),
                        "No suitable workers. No worker matches worker_selector {gpu=h100,os=linux,zone=a}."),
                row("no workers at all", List.of(),
                        request("llama-box", true, Map.of(), 1.0, 1.0),
                        "No suitable workers. No workers registered."),
                row("reported use counts when it exceeds our claims",
                        List.of(worker("w", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 20, 2))),
                        request("vllm", false, Map.of(), 4.0, 4.0),
                        "No suitable workers. w: needs 4.0 GiB VRAM, largest free GPU has 3.0 GiB"),
                row("our claims count when they exceed reported use",
                        List.of(worker("w", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 2, 20))),
                        request("vllm", false, Map.of(), 4.0, 4.0),
                        "No suitable workers. w: needs 4.0 GiB VRAM, largest free GPU has 3.0 GiB"),
                row("RAM claims count too",
                        List.of(worker("w", WorkerState.READY, Map.of(), 16, 1, 10)),
                        request("llama-box", true, Map.of(), 5.0, 5.0),
                        "No suitable workers. w: needs 5.0 GiB RAM, 4.0 GiB allocatable"),
                row("equal GPUs on two workers: the lower worker id",
                        List.of(worker("w-2", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 0, 0)),
                                worker("w-1", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 0, 0))),
                        request("vllm", false, Map.of(), 1.0, 1.0),
                        "w-1 gpus=[0] ram=0.0 vram={0=1.0}"),
                row("equal GPUs on one worker: the lower index",
                        List.of(worker("w", WorkerState.READY, Map.of(), 8, 0, 0, gpu(1, 24, 0, 0), gpu(0, 24, 0, 0))),
                        request("vllm", false, Map.of(), 1.0, 1.0),
                        "w gpus=[0] ram=0.0 vram={0=1.0}"),
                row("equal RAM on two CPU workers: the lower worker id",
                        List.of(worker("w-b", WorkerState.READY, Map.of(), 8, 0, 0),
                                worker("w-a", WorkerState.READY, Map.of(), 8, 0, 0)),
                        request("llama-box", true, Map.of(), 1.0, 1.0),
                        "w-a gpus=[] ram=1.0 vram={}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void places(String why, List<WorkerCapacity> workers, PlacementRequest request, String expected) {
        assertEquals(expected, describe(FirstPlacement.place(workers, request)));
        // the order the workers come in changes nothing
        List<WorkerCapacity> reversed = new ArrayList<>(workers);
        java.util.Collections.reverse(reversed);
        assertEquals(expected, describe(FirstPlacement.place(reversed, request)));
    }

    @Test
    void theRationaleSaysWhereAndWhy() {
        var placed = assertInstanceOf(PlacementDecision.Placed.class,
                FirstPlacement.place(List.of(GPU_A), request("llama-box", true, Map.of(), 8.0, 8.0)));
        assertEquals("Placed on gpu-a GPU 0: needs 8.0 GiB VRAM, 21.0 GiB allocatable", placed.rationale());
        placed = assertInstanceOf(PlacementDecision.Placed.class,
                FirstPlacement.place(List.of(VM), request("llama-box", true, Map.of(), null, null)));
        assertEquals("Placed on vm (CPU only): no estimate, 0.8 GiB allocatable", placed.rationale());
    }

    @Test
    void aClaimJustMadeCountsForTheNextReplica() {
        WorkerCapacity one = worker("w-1", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 0, 0));
        WorkerCapacity two = worker("w-2", WorkerState.READY, Map.of(), 8, 0, 0, gpu(0, 24, 0, 0));
        PlacementRequest request = request("vllm", false, Map.of(), 8.0, 8.0);
        var first = assertInstanceOf(PlacementDecision.Placed.class, FirstPlacement.place(List.of(one, two), request));
        assertEquals("w-1", first.workerId());
        var second = assertInstanceOf(PlacementDecision.Placed.class,
                FirstPlacement.place(List.of(one.withClaim(first.claim()), two), request));
        assertEquals("w-2", second.workerId());
    }

    @Test
    void longListsOfWorkersAreCut() {
        List<WorkerCapacity> many = new ArrayList<>();
        for (int n = 10; n < 23; n++) {
            many.add(worker("w" + n, WorkerState.NOT_READY, Map.of(), 8, 0, 0));
        }
        var noFit = assertInstanceOf(PlacementDecision.NoFit.class,
                FirstPlacement.place(many, request("llama-box", true, Map.of(), 1.0, 1.0)));
        assertTrue(noFit.reason().startsWith("No suitable workers. w10: NOT_READY; w11: NOT_READY;"), noFit.reason());
        assertTrue(noFit.reason().endsWith("w19: NOT_READY; and 3 more"), noFit.reason());
    }

    static String describe(PlacementDecision decision) {
        if (decision instanceof PlacementDecision.NoFit noFit) {
            return noFit.reason();
        }
        PlacementDecision.Placed placed = (PlacementDecision.Placed) decision;
        ResourceClaim claim = placed.claim();
        return placed.workerId() + " gpus=" + placed.gpuIndexes() + " ram=" + inGib(claim.ramBytes()) + " vram="
                + claim.vramBytesByGpu().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + inGib(e.getValue())).collect(Collectors.joining(",", "{", "}"));
    }

    static String inGib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) GIB);
    }
}
