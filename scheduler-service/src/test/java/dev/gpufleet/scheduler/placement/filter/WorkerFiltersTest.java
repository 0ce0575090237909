package dev.gpufleet.scheduler.placement.filter;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The filters, through the engine: which workers a request may use, and the reason each other worker gets. */
class WorkerFiltersTest extends PlacementTable {

    static Stream<Arguments> rows() {
        return Stream.of(
                row("MAINTENANCE, NOT_READY and UNREACHABLE take nothing new",
                        List.of(worker("m", WorkerState.MAINTENANCE, "linux", Map.of(), 64, 0, nvidia(0, 80, 0, 0)),
                                worker("n", WorkerState.NOT_READY, "linux", Map.of(), 64, 0, nvidia(0, 80, 0, 0)),
                                worker("u", WorkerState.UNREACHABLE, "linux", Map.of(), 64, 0, nvidia(0, 80, 0, 0))),
                        req("llama-box", L20),
                        "No suitable workers. m: MAINTENANCE; n: NOT_READY; u: UNREACHABLE"),
                row("user labels select", List.of(G24, worker("z", WorkerState.READY, "linux", Map.of("zone", "b"),
                                64, 0, nvidia(0, 24, 0, 0))),
                        selector(req("llama-box", L20), Map.of("zone", "b")),
                        "z SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("built-in label os", List.of(G24, MAC), selector(req("llama-box", L20), Map.of("os", "darwin")),
                        "mac SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("built-in label worker-name", List.of(G24, G80), selector(req("llama-box", L20),
                                Map.of("worker-name", "g24")),
                        "g24 SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("built-in label gpu-vendor", List.of(G80, NPU), selector(req("llama-box", L20),
                                Map.of("gpu-vendor", "ascend")),
                        "npu SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("a user label overrides the built-in one", List.of(worker("w", WorkerState.READY, "linux",
                                Map.of("os", "ubuntu"), 64, 0, nvidia(0, 24, 0, 0))),
                        selector(req("llama-box", L20), Map.of("os", "linux")),
                        "No suitable workers. No worker matches worker_selector {os=linux}."),
                row("vLLM runs on Linux only", List.of(worker("win", WorkerState.READY, "windows", Map.of(), 64, 0,
                                nvidia(0, 80, 0, 0))),
                        req("vllm", V40),
                        "No suitable workers. win: vllm runs on Linux only, this worker runs windows"),
                row("vLLM needs an NVIDIA or AMD GPU", List.of(NPU, CPU), req("vllm", V40),
                        "No suitable workers. cpu: no GPU, and vllm needs one; "
                                + "npu: no NVIDIA or AMD GPU, and vllm needs one"),
                row("MindIE needs Ascend NPUs", List.of(G80), req("mindie", mindie(20)),
                        "No suitable workers. g80: no Ascend NPU, and mindie needs one"),
                row("MindIE runs on Linux only", List.of(worker("n", WorkerState.READY, "windows", Map.of(), 64, 0,
                                ascend(0, 64))),
                        req("mindie", mindie(20)),
                        "No suitable workers. n: mindie runs on Linux only, this worker runs windows"),
                row("vox-box uses NVIDIA GPUs only, else the CPU", List.of(NPU), req("vox-box", WHISPER),
                        "npu CPU_ONLY gpus=[] ram=3.0 vram={} ngl=0"),
                row("llama-box runs on macOS and Apple GPUs", List.of(MAC), req("llama-box", L20),
                        "mac SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("cpu_offloading off keeps llama-box off the CPU", List.of(CPU),
                        req("llama-box", L20, false, false),
                        "No suitable workers. cpu: no GPU, and cpu_offloading is off"));
    }

    /** Each filter's typed rejection of one worker, and the reason a no-fit message shows for it. */
    static Stream<Arguments> rejections() {
        PlacementRequest llama = req("llama-box", L20);
        PlacementRequest vllm = req("vllm", V40);
        return Stream.of(
                Arguments.of("a READY worker with a GPU passes", G24, llama, null, null),
                Arguments.of("not READY", worker("m", WorkerState.MAINTENANCE, "linux", Map.of(), 64, 0,
                        nvidia(0, 80, 0, 0)), llama, new Rejection.NotReady(WorkerState.MAINTENANCE), "MAINTENANCE"),
                Arguments.of("no state reported", worker("s", null, "linux", Map.of(), 64, 0, nvidia(0, 80, 0, 0)),
                        llama, new Rejection.NotReady(null), "state unknown"),
                Arguments.of("the worker selector leaves it out, unlisted", G24,
                        selector(llama, Map.of("zone", "b")), Rejection.NotSelected.INSTANCE, ""),
                Arguments.of("vLLM on Windows", worker("win", WorkerState.READY, "windows", Map.of(), 64, 0,
                                nvidia(0, 80, 0, 0)), vllm, new Rejection.UnsupportedOs(Backend.VLLM, "windows"),
                        "vllm runs on Linux only, this worker runs windows"),
                Arguments.of("MindIE where the OS is unknown", worker("n", WorkerState.READY, "", Map.of(), 64, 0,
                                ascend(0, 64)), req("mindie", mindie(20)),
                        new Rejection.UnsupportedOs(Backend.MINDIE, ""),
                        "mindie runs on Linux only, this worker runs an unknown OS"),
                Arguments.of("vLLM on NPUs only", NPU, vllm, new Rejection.NoUsableGpu(Backend.VLLM, true),
                        "no NVIDIA or AMD GPU, and vllm needs one"),
                Arguments.of("vLLM without a GPU", CPU, vllm, new Rejection.NoUsableGpu(Backend.VLLM, false),
                        "no GPU, and vllm needs one"),
                Arguments.of("llama-box without a GPU, CPU offloading off", CPU, req("llama-box", L20, false, false),
                        new Rejection.NoUsableGpu(Backend.LLAMA_BOX, false), "no GPU, and cpu_offloading is off"),
                Arguments.of("llama-box without a GPU may use the CPU", CPU, llama, null, null),
                Arguments.of("gpu_selector names another worker", G24,
                        llama.withGpuSelector(List.of("g80:cuda:0"), false), Rejection.NotSelected.INSTANCE, ""),
                Arguments.of("gpu_selector names GPUs the worker does not have: the highest index is said", G24,
                        llama.withGpuSelector(List.of("g24:cuda:7", "g24:cuda:0", "g24:cuda:9"), false),
                        new Rejection.SelectedGpuMissing(9),
                        "gpu_selector names GPU 9, which this worker does not have"),
                Arguments.of("gpu_selector names a GPU of another type", G24,
                        llama.withGpuSelector(List.of("g24:npu:0"), false), new Rejection.SelectedGpuMissing(0),
                        "gpu_selector names GPU 0, which this worker does not have"),
                Arguments.of("gpu_selector names a device the backend cannot use", NPU,
                        vllm.withGpuSelector(List.of("npu:npu:1"), false),
                        new Rejection.SelectedGpuUnusable(1, "ascend", Backend.VLLM),
                        "gpu_selector names GPU 1 (ascend), which vllm cannot use"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void rejects(String why, WorkerCapacity worker, PlacementRequest request, Rejection expected, String reason) {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(worker));
        Backend backend = Backend.of(request.backend());
        SelectedGpus selected = SelectedGpus.resolve(cluster,
                request.gpuSelector().stream().map(GpuSelection::parse).toList());
        Rejection rejection = new WorkerFilters(cluster, request.workerSelector(), backend, selected,
                request.cpuOffloading() && backend.runsOnCpu()).rejection(0);
        assertEquals(expected, rejection);
        if (rejection != null) {
            assertEquals(reason, rejection.reason());
            assertEquals(!(rejection instanceof Rejection.NotSelected), rejection.listed());
        }
    }
}
