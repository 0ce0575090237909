package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementDecision;
import dev.gpufleet.scheduler.placement.PlacementEngine;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Manual GPU selection: exactly the GPUs named, overcommit when allowed, and why a selection cannot run. */
class ManualShapesTest extends PlacementTable {
    /** one16 and a worker with a 4 GiB GPU and 0.2 GiB of RAM to spare: both short of {@code L20}'s parts. */
    static final List<WorkerCapacity> ACROSS_SHORT = List.of(ONE16, worker("tiny", 2.2, nvidia(0, 4, 0, 0)));

    static Stream<Arguments> rows() {
        WorkerCapacity two = worker("two", 64, nvidia(0, 24, 0, 0), nvidia(1, 24, 0, 0));
        PlacementRequest base = req("llama-box", L20);
        return Stream.of(
                row("manual selection restricts to the GPUs named", List.of(two, G80),
                        base.withGpuSelector(List.of("two:cuda:1"), false),
                        "two SINGLE_GPU gpus=[1] ram=1.2 vram={1=21.5} ngl=999"),
                row("several GPUs of one worker: a tensor split over exactly them", List.of(two),
                        base.withGpuSelector(List.of("two:cuda:0", "two:cuda:1"), false),
                        "two MULTI_GPU gpus=[0, 1] ram=1.2 vram={0=11.5,1=10.5} ngl=999 split=[0.5, 0.5]"),
                row("a GPU that does not exist is that worker's reason", List.of(two),
                        base.withGpuSelector(List.of("two:cuda:7"), false),
                        "No suitable workers. two: gpu_selector names GPU 7, which this worker does not have"),
                row("too small for every layer: partial offload on the selected GPU",
                        List.of(worker("small", 64, nvidia(0, 16, 0, 0))),
                        base.withGpuSelector(List.of("small:cuda:0"), false),
                        "small PARTIAL_OFFLOAD gpus=[0] ram=8.6 vram={0=14.5} ngl=14"),
                row("too small, no CPU offloading, no overcommit", List.of(worker("small", 64, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, false, false).withGpuSelector(List.of("small:cuda:0"), false),
                        "No suitable workers. small: GPU 0 needs 21.5 GiB, 15.0 GiB allocatable"
                                + " (overcommit not allowed)"),
                row("too small with overcommit: placed, warned", List.of(worker("small", 64, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, false, false).withGpuSelector(List.of("small:cuda:0"), true),
                        "small SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999 warn=[overcommitted as allowed:"
                                + " small GPU 0 needs 21.5 GiB, 15.0 GiB allocatable]"),
                row("vLLM on the selected GPUs must divide the heads", List.of(worker("t", 128, nvidia(0, 80, 0, 0),
                                nvidia(1, 80, 0, 0), nvidia(2, 80, 0, 0))),
                        req("vllm", V40).withGpuSelector(List.of("t:cuda:0", "t:cuda:1", "t:cuda:2"), false),
                        "No suitable workers. t: 3 devices do not divide the model's 32 attention heads"),
                row("an unknown worker in the selector leaves nothing", List.of(two),
                        base.withGpuSelector(List.of("ghost:cuda:0"), false),
                        "No suitable workers. No worker named in gpu_selector [ghost:cuda:0] matches"
                                + " worker_selector {}."),
                row("a malformed entry is said so", List.of(two),
                        base.withGpuSelector(List.of("two-0"), false),
                        "No suitable workers. gpu_selector entry 'two-0' is not <worker-name>:<type>:<index> with"
                                + " type one of cuda, npu, rocm, mps and index ≥ 0."),
                row("across workers: RPC over exactly the selected GPUs", List.of(ONE16,
                                worker("other", 64, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, false, false).withGpuSelector(List.of("one16:cuda:0", "other:cuda:0"),
                                false),
                        "one16 DISTRIBUTED gpus=[0] ram=1.2 vram={0=11.5} ngl=999 split=[0.5, 0.5]"
                                + " subs=other:[0] ram=0.3 vram={0=10.5}"),
                row("across workers, no overcommit: each worker is told its own shortfalls", ACROSS_SHORT,
                        req("llama-box", L20, false, false).withGpuSelector(List.of("one16:cuda:0", "tiny:cuda:0"),
                                false),
                        "No suitable workers. one16: GPU 0 needs 18.5 GiB, 15.0 GiB allocatable (overcommit not"
                                + " allowed); tiny: GPU 0 needs 3.5 GiB, 3.0 GiB allocatable, needs 0.3 GiB RAM for"
                                + " its RPC servers, 0.2 GiB allocatable (overcommit not allowed)"),
                row("manual: the selected NPUs of several servers", List.of(npuServer("a", 256, 8),
                                npuServer("b", 256, 8)),
                        req("mindie", mindie(2 * 64 * 0.8)).withGpuSelector(List.of("a:npu:0", "a:npu:1", "b:npu:0",
                                "b:npu:1"), false),
                        "a DISTRIBUTED gpus=" + mindieNode(2) + " ngl=999 tp=4 subs=b:" + mindieNode(2)),
                row("manual: unequal NPU counts are refused", List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)),
                        req("mindie", M12).withGpuSelector(List.of("a:npu:0", "a:npu:1", "a:npu:2", "a:npu:3",
                                "b:npu:0", "b:npu:1"), false),
                        "No suitable workers. a: mindie across workers needs the same power-of-two NPU count on every"
                                + " selected worker, gpu_selector names 4 on a, 2 on b; b: mindie across workers needs"
                                + " the same power-of-two NPU count on every selected worker, gpu_selector names 4 on"
                                + " a, 2 on b"),
                row("manual: a count that is no power of two is refused", List.of(npuServer("a", 256, 8),
                                npuServer("b", 256, 8)),
                        req("mindie", M12).withGpuSelector(List.of("a:npu:0", "a:npu:1", "a:npu:2", "b:npu:0",
                                "b:npu:1", "b:npu:2"), false),
                        "No suitable workers. a: mindie across workers needs the same power-of-two NPU count on every"
                                + " selected worker, gpu_selector names 3 on a, 3 on b; b: mindie across workers needs"
                                + " the same power-of-two NPU count on every selected worker, gpu_selector names 3 on"
                                + " a, 3 on b"),
                row("manual: a selected NPU without a device IP is refused", List.of(npuServer("a", 256, 8),
                                npuServer("b", 256, 8, 1)),
                        req("mindie", mindie(2 * 64 * 0.8)).withGpuSelector(List.of("a:npu:0", "a:npu:1", "b:npu:0",
                                "b:npu:1"), false),
                        "No suitable workers. a: b NPU 1 has no device IP (hccn_tool), which the rank table of mindie"
                                + " across workers needs; b: b NPU 1 has no device IP (hccn_tool), which the rank"
                                + " table of mindie across workers needs"));
    }

    @Test
    void overcommitWarnsOfEveryShortfallInTheOrderFound() {
        var rpc = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(
                ClusterSnapshot.of(ACROSS_SHORT), req("llama-box", L20, false, false)
                        .withGpuSelector(List.of("one16:cuda:0", "tiny:cuda:0"), true)));
        assertEquals(List.of("overcommitted as allowed: one16 GPU 0 needs 18.5 GiB, 15.0 GiB allocatable; tiny GPU 0"
                + " needs 3.5 GiB, 3.0 GiB allocatable; tiny needs 0.3 GiB RAM for its RPC servers, 0.2 GiB"
                + " allocatable"), rpc.warnings());
        assertEquals("RPC across 2 workers on one16 GPU 0 + tiny GPU 0: claims 22.0 GiB VRAM, 1.2 GiB RAM; score 0.0"
                + " (spread); overcommitted", rpc.rationale());
        var vllm = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(
                ClusterSnapshot.of(List.of(worker("t", 1, nvidia(0, 16, 0, 0), nvidia(1, 16, 0, 0)))),
                req("vllm", V40, false, false).withGpuSelector(List.of("t:cuda:0", "t:cuda:1"), true)));
        assertEquals(List.of("overcommitted as allowed: t GPU 0 has 16.0 GiB, each of 2 needs 22.2 GiB; t GPU 1 has"
                + " 16.0 GiB, each of 2 needs 22.2 GiB; t needs 2.0 GiB RAM, 0.0 GiB allocatable"), vllm.warnings());
    }
}
