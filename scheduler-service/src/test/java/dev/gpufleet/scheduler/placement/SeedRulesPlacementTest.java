package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.WorkerState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The backend document's rules that placement enforces, one row per rule (docs/backends.md lists them): the
 * user's vLLM parallel sizes decide the GPU count, manual selection overcommits when the spec allows it, llama-box
 * runs on Windows ARM64 on the CPU only, MindIE on ARM64 and x86_64 only, vox-box falls back to the CPU.
 */
class SeedRulesPlacementTest extends PlacementTable {
    static final WorkerCapacity FOUR80 = worker("four80", 256, nvidia(0, 80, 0, 0), nvidia(1, 80, 0, 0),
            nvidia(2, 80, 0, 0), nvidia(3, 80, 0, 0));
    static final WorkerCapacity WIN_ARM = new WorkerCapacity("winarm", "winarm", WorkerState.READY, "windows",
            "arm64", Map.of(), gib(64), 0, 0, List.of(nvidia(0, 24, 0, 0)), Set.of());
    static final WorkerCapacity NPU_RISCV = new WorkerCapacity("npurv", "npurv", WorkerState.READY, "linux",
            "riscv64", Map.of(), gib(256), 0, 0, List.of(ascend(0, 64)), Set.of());
    static final WorkerCapacity NPU_ARM = new WorkerCapacity("npuarm", "npuarm", WorkerState.READY, "linux",
            "arm64", Map.of(), gib(256), 0, 0, List.of(ascend(0, 64)), Set.of());

    /** A vLLM request as the scheduler builds it from a spec with these backend parameters. */
    static PlacementRequest vllmSpec(List<String> parameters, List<String> gpuSelector, boolean overcommit) {
        ModelSpec spec = new ModelSpec("m", ModelSource.localPath("/models/m"), "vllm", null, parameters, Map.of(),
                1, List.of(), "spread", false, false, Map.of(), gpuSelector, true, false, overcommit);
        return PlacementRequest.of("m", spec, PlacementFixtures.vllm(10, 32));
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                row("vllm: without parallel sizes a model that fits one GPU gets one", List.of(FOUR80),
                        vllmSpec(List.of(), List.of(), false),
                        "four80 SINGLE_GPU gpus=[0] ram=2.0 vram={0=72.0} ngl=999"),
                row("vllm: the user's --tensor-parallel-size decides how many GPUs are claimed", List.of(FOUR80),
                        vllmSpec(List.of("--tensor-parallel-size", "2"), List.of(), false),
                        "four80 MULTI_GPU gpus=[0, 1] ram=2.0 vram={0=72.0,1=72.0} ngl=999 tp=2"),
                row("vllm: -tp=2 with -pp 2 claims tensor × pipeline = 4 GPUs", List.of(FOUR80),
                        vllmSpec(List.of("-tp=2", "-pp 2"), List.of(), false),
                        "four80 MULTI_GPU gpus=[0, 1, 2, 3] ram=2.0 vram={0=72.0,1=72.0,2=72.0,3=72.0} ngl=999 tp=2"
                                + " pp=2"),
                row("vllm: a tensor parallel size no worker has GPUs for is not placed", List.of(FOUR80),
                        vllmSpec(List.of("--tensor-parallel-size=8"), List.of(), false),
                        "No suitable workers. four80: backend_parameters set tensor × pipeline parallel size 8: needs 8"
                                + " GPUs of 1.4 GiB with 90% of each free, has 4 usable, largest free 79.0 GiB"),
                row("vllm: a gpu_selector must name tensor × pipeline GPUs", List.of(FOUR80),
                        vllmSpec(List.of("--tensor-parallel-size", "2"),
                                List.of("four80:cuda:0", "four80:cuda:1", "four80:cuda:2"), false),
                        "No suitable workers. four80: backend_parameters set tensor × pipeline parallel size 2,"
                                + " gpu_selector gives 3 GPUs"),
                row("manual selection: the spec's allow_overcommit places on GPUs that are too small, warned",
                        List.of(worker("small", 64, nvidia(0, 8, 0, 0))),
                        vllmSpec(List.of(), List.of("small:cuda:0"), true),
                        "small SINGLE_GPU gpus=[0] ram=2.0 vram={0=7.2} ngl=999 warn=[overcommitted as allowed: small"
                                + " GPU 0 has 8.0 GiB, each of 1 needs 11.1 GiB; small GPU 0 needs 7.2 GiB, 7.0 GiB"
                                + " allocatable]"),
                row("manual selection without allow_overcommit: not placed",
                        List.of(worker("small", 64, nvidia(0, 8, 0, 0))),
                        vllmSpec(List.of(), List.of("small:cuda:0"), false),
                        "No suitable workers. small: GPU 0 has 8.0 GiB, each of 1 needs 11.1 GiB, GPU 0 needs 7.2 GiB,"
                                + " 7.0 GiB allocatable (overcommit not allowed)"),
                row("llama-box on Windows ARM64 without CPU offloading: excluded with the reason", List.of(WIN_ARM),
                        req("llama-box", L20, false, false),
                        "No suitable workers. winarm: llama-box on windows/arm64 runs on the CPU only (CPU"
                                + " offloading), and cpu_offloading is off"),
                row("llama-box on Windows ARM64 with CPU offloading: on the CPU, its GPU unused", List.of(WIN_ARM),
                        req("llama-box", L20, true, false),
                        "winarm CPU_ONLY gpus=[] ram=22.6 vram={} ngl=0"),
                row("llama-box on Windows ARM64: its GPUs cannot be selected", List.of(WIN_ARM),
                        req("llama-box", L20, true, false).withGpuSelector(List.of("winarm:cuda:0"), false),
                        "No suitable workers. winarm: llama-box on windows/arm64 runs on the CPU only (CPU"
                                + " offloading), and gpu_selector names this worker's GPUs"),
                row("mindie runs on arm64 and amd64 only: another architecture is excluded with the reason",
                        List.of(NPU_RISCV, NPU_ARM), req("mindie", mindie(10)),
                        "npuarm SINGLE_GPU gpus=[0] ram=4.0 vram={0=51.2} ngl=999"),
                row("mindie on no supported architecture: the reason names it", List.of(NPU_RISCV),
                        req("mindie", mindie(10)),
                        "No suitable workers. npurv: mindie runs on arm64 and amd64 (x86_64) only, this worker is"
                                + " riscv64"),
                row("vox-box falls back to the CPU when no GPU can hold the model", List.of(CPU),
                        req("vox-box", WHISPER, true, false),
                        "cpu CPU_ONLY gpus=[] ram=3.0 vram={} ngl=0"));
    }

    @Test
    void userParallelSizesAreReadInEveryFlagForm() {
        assertEquals(new UserParallelism(2, 0), UserParallelism.of(List.of("--tensor-parallel-size", "2")));
        assertEquals(new UserParallelism(2, 3), UserParallelism.of(List.of("-tp=2", "--pipeline-parallel-size 3")));
        assertEquals(UserParallelism.NONE, UserParallelism.of(List.of("--max-model-len", "4096")));
        assertEquals(6, new UserParallelism(2, 3).worldSize());
        assertEquals(3, new UserParallelism(0, 3).worldSize());
    }

    @Test
    void overcommitReachesPlacementOnlyWithAGpuSelector() {
        assertEquals(true, vllmSpec(List.of(), List.of("small:cuda:0"), true).allowOvercommit());
        assertEquals(false, vllmSpec(List.of(), List.of(), true).allowOvercommit());
    }
}
