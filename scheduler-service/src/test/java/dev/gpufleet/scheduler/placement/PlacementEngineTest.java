package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;
import dev.gpufleet.scheduler.placement.filter.GpuSelection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementEngineTest {
    static final long GIB = PlacementSettings.GIB;

    static long gib(double n) {
        return (long) (n * GIB);
    }

    // ---- fleet builders --------------------------------------------------------------------------------------

    static GpuCapacity nvidia(int index, double total, double used, double claimed) {
        return new GpuCapacity(index, "nvidia", "cuda", "NVIDIA " + (int) total + "G", gib(total), gib(used),
                gib(claimed));
    }

    static GpuCapacity ascend(int index, double total) {
        return new GpuCapacity(index, "ascend", "npu", "Ascend 910B", gib(total), 0, 0);
    }

    /** An Ascend NPU whose device IP hccn_tool reported. */
    static GpuCapacity ascendIp(int index, double total) {
        return new GpuCapacity(index, "ascend", "npu", "Ascend 910B", gib(total), 0, 0, "29.0.0." + index);
    }

    /** An Ascend server: {@code n} NPUs of 64 GiB, each with a device IP unless its index is in {@code noIp}. */
    static WorkerCapacity npuServer(String id, double ram, int n, Integer... noIp) {
        GpuCapacity[] npus = new GpuCapacity[n];
        for (int i = 0; i < n; i++) {
            npus[i] = List.of(noIp).contains(i) ? ascend(i, 64) : ascendIp(i, 64);
        }
        return worker(id, ram, npus);
    }

    static GpuCapacity apple(int index, double total) {
        return new GpuCapacity(index, "apple", "mps", "Apple M2", gib(total), 0, 0);
    }

    static WorkerCapacity worker(String id, double ram, GpuCapacity... gpus) {
        return worker(id, WorkerState.READY, "linux", Map.of(), ram, 0, gpus);
    }

    static WorkerCapacity worker(String id, WorkerState state, String os, Map<String, String> labels, double ram,
                                 double ramUsed, GpuCapacity... gpus) {
        return new WorkerCapacity(id, id, state, os, "amd64", labels, gib(ram), gib(ramUsed), 0, List.of(gpus),
                Set.of());
    }

    // ---- models ----------------------------------------------------------------------------------------------

    /**
     * 20 layers of 0.9 GiB weights + 0.1 GiB KV; compute 0.5 per device; output layer 1 GiB; RAM base 1 GiB.
     * All on one GPU: 20 + 0.5 + 1 = 21.5 GiB VRAM; split evenly over two, llama.cpp puts 11 layers on the first
     * (11.5 GiB) and 9 + the output layer on the second (10.5 GiB), 1 + 0.1 + 0.1 = 1.2 GiB RAM. CPU only: 22.6 GiB RAM.
     */
    static final ResourceEstimate L20 = new ResourceEstimate(gib(22.6), gib(21.5), ModelSizing.of(
            new LayeredSizing(4096, Collections.nCopies(20, gib(0.9)), gib(0.1), gib(0.5), gib(0.5), gib(0.1),
                    gib(1), gib(1), gib(1), gib(0.1), 0)));

    /** 40 GiB of weights + KV at 0.9 utilisation, 32 attention heads: a device must have 44.4 GiB / n. */
    static final ResourceEstimate V40 = new ResourceEstimate(gib(2), gib(44.4), ModelSizing.of(
            new ShardedSizing(gib(40), 0.9, 0, gib(2), 32, false)));

    static ResourceEstimate vllm(double deviceGib, int heads) {
        return new ResourceEstimate(gib(2), gib(deviceGib / 0.9), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.9, 0, gib(2), heads, false)));
    }

    static ResourceEstimate mindie(double deviceGib) {
        return new ResourceEstimate(gib(4), gib(deviceGib / 0.8), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.8, 0, gib(4), 64, true)));
    }

    static ResourceEstimate mindie(double deviceGib, int heads) {
        return new ResourceEstimate(gib(4), gib(deviceGib / 0.8), ModelSizing.of(
                new ShardedSizing(gib(deviceGib), 0.8, 0, gib(4), heads, true)));
    }

    /** What 12 NPUs of 64 GiB hold at MindIE's 0.8: more than one 8-NPU server, so 2 × 8 (world size 16). */
    static final ResourceEstimate M12 = mindie(12 * 64 * 0.8);

    /** "w:[0, 1, …] ram=4.0 vram={0=51.2,…}": a MindIE node's part of {@link #M12}'s shape. */
    static String mindieNode(int npus) {
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < npus; i++) {
            indexes.add(i);
        }
        return indexes + " ram=4.0 vram=" + indexes.stream().map(i -> i + "=51.2")
                .collect(Collectors.joining(",", "{", "}"));
    }

    static final ResourceEstimate WHISPER = new ResourceEstimate(gib(3), gib(5), ModelSizing.of(
            new FixedSizing(new ResourceEstimate(gib(1), gib(5)), new ResourceEstimate(gib(3), 0))));

    static PlacementRequest req(String backend, ResourceEstimate estimate) {
        return new PlacementRequest("m", backend, estimate, Map.of(), List.of(), Strategy.SPREAD, true, false, false,
                Map.of());
    }

    static PlacementRequest req(String backend, ResourceEstimate estimate, boolean cpuOffloading,
                                boolean distributed) {
        return new PlacementRequest("m", backend, estimate, Map.of(), List.of(), Strategy.SPREAD, cpuOffloading,
                distributed, false, Map.of());
    }

    static PlacementRequest selector(PlacementRequest r, Map<String, String> selector) {
        return new PlacementRequest(r.modelId(), r.backend(), r.estimate(), selector, r.gpuSelector(), r.strategy(),
                r.cpuOffloading(), r.distributedInference(), r.allowOvercommit(), r.measuredVramByProduct());
    }

    static Arguments row(String why, List<WorkerCapacity> workers, PlacementRequest request, String expected) {
        return Arguments.of(why, workers, request, PlacementSettings.DEFAULT, expected);
    }

    static Arguments row(String why, List<WorkerCapacity> workers, PlacementRequest request,
                         PlacementSettings settings, String expected) {
        return Arguments.of(why, workers, request, settings, expected);
    }

    static final WorkerCapacity G24 = worker("g24", 64, nvidia(0, 24, 0, 0));
    static final WorkerCapacity G80 = worker("g80", 128, nvidia(0, 80, 0, 0));
    static final WorkerCapacity TWO16 = worker("two16", 64, nvidia(0, 16, 0, 0), nvidia(1, 16, 0, 0));
    static final WorkerCapacity ONE16 = worker("one16", 64, nvidia(0, 16, 0, 0));
    static final WorkerCapacity CPU = worker("cpu", 64);
    static final WorkerCapacity NPU = worker("npu", 256, ascend(0, 64), ascend(1, 64), ascend(2, 64),
            ascend(3, 64));
    static final WorkerCapacity MAC = worker("mac", WorkerState.READY, "darwin", Map.of(), 32, 0, apple(0, 24));

    static Stream<Arguments> filters() {
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

    static Stream<Arguments> llamaBox() {
        return Stream.of(
                row("one GPU first", List.of(TWO16, G24), req("llama-box", L20),
                        "g24 SINGLE_GPU gpus=[0] ram=1.2 vram={0=21.5} ngl=999"),
                row("then a tensor split over GPUs of one worker, shares ∝ allocatable", List.of(TWO16, CPU),
                        req("llama-box", L20),
                        "two16 MULTI_GPU gpus=[0, 1] ram=1.2 vram={0=11.5,1=10.5} ngl=999 split=[0.5, 0.5]"),
                row("then RPC across workers when distributed inference is on", List.of(ONE16,
                                worker("other", 64, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, true, true),
                        "one16 DISTRIBUTED gpus=[0] ram=1.2 vram={0=11.5} ngl=999 split=[0.5, 0.5]"
                                + " subs=other:[0] ram=0.3 vram={0=10.5}"),
                row("without distributed inference: partial offload, the most layers that fit",
                        List.of(ONE16, worker("other", 64, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, true, false),
                        "one16 PARTIAL_OFFLOAD gpus=[0] ram=8.6 vram={0=14.5} ngl=14"),
                row("partial offload needs RAM for the rest", List.of(worker("small", 8, nvidia(0, 16, 0, 0))),
                        req("llama-box", L20, true, false),
                        "No suitable workers. small: needs 21.5 GiB VRAM, largest free GPU has 15.0 GiB,"
                                + " or 22.6 GiB RAM, 6.0 GiB allocatable"),
                row("CPU only last", List.of(CPU, worker("tiny", 64, nvidia(0, 1.2, 0, 0))),
                        req("llama-box", L20),
                        "cpu CPU_ONLY gpus=[] ram=22.6 vram={} ngl=0"),
                row("no sizing: the whole-model numbers on one GPU, no RAM claim", List.of(G24),
                        req("llama-box", new ResourceEstimate(gib(9), gib(8))),
                        "g24 SINGLE_GPU gpus=[0] ram=0.0 vram={0=8.0} ngl=999"),
                row("no estimate: needs count as 0 bytes", List.of(CPU), req("llama-box", null),
                        "cpu CPU_ONLY gpus=[] ram=0.0 vram={} ngl=0"));
    }

    static Stream<Arguments> vllmMindieVox() {
        WorkerCapacity four24 = worker("four24", 256, nvidia(0, 24, 0, 0), nvidia(1, 24, 0, 0),
                nvidia(2, 24, 0, 0), nvidia(3, 24, 0, 0));
        WorkerCapacity three24 = worker("three24", 256, nvidia(0, 24, 0, 0), nvidia(1, 24, 0, 0),
                nvidia(2, 24, 0, 0));
        return Stream.of(
                row("vLLM one GPU: it claims its utilisation of the GPU", List.of(G80, four24), req("vllm", V40),
                        "g80 SINGLE_GPU gpus=[0] ram=2.0 vram={0=72.0} ngl=999"),
                row("vLLM one GPU needs 90 % of it free", List.of(worker("busy", 64, nvidia(0, 80, 10, 0)),
                                four24),
                        req("vllm", V40),
                        "four24 MULTI_GPU gpus=[0, 1] ram=2.0 vram={0=21.6,1=21.6} ngl=999 tp=2"),
                row("vLLM TP sizes divide the attention heads: 3 GPUs cannot serve 32 heads",
                        List.of(three24), req("vllm", vllm(50, 32)),
                        "No suitable workers. three24: needs a GPU of 55.6 GiB with 90% of it free,"
                                + " largest free GPU has 23.0 GiB, its 3 GPUs together 69.0 GiB"),
                row("vLLM TP of 3 where 24 heads allow it", List.of(three24), req("vllm", vllm(50, 24)),
                        "three24 MULTI_GPU gpus=[0, 1, 2] ram=2.0 vram={0=21.6,1=21.6,2=21.6} ngl=999 tp=3"),
                row("vLLM with Ray: same GPU count on each worker, only with distributed inference",
                        List.of(worker("a", 64, nvidia(0, 24, 0, 0)), worker("b", 64, nvidia(0, 24, 0, 0))),
                        req("vllm", vllm(40, 32), false, true),
                        "a DISTRIBUTED gpus=[0] ram=2.0 vram={0=21.6} ngl=999 pp=2 subs=b:[0] ram=2.0"
                                + " vram={0=21.6}"),
                row("vLLM with Ray: one distributed vLLM instance per worker",
                        List.of(new WorkerCapacity("a", "a", WorkerState.READY, "linux", "amd64", Map.of(), gib(64),
                                        0, 0, List.of(nvidia(0, 24, 0, 0)), Set.of("other-model")),
                                worker("b", 64, nvidia(0, 24, 0, 0))),
                        req("vllm", vllm(40, 32), false, true),
                        "No suitable workers. a: needs a GPU of 44.4 GiB with 90% of it free, largest free GPU has"
                                + " 23.0 GiB; already in a distributed vLLM instance of other-model; b: needs a GPU"
                                + " of 44.4 GiB with 90% of it free, largest free GPU has 23.0 GiB"),
                row("MindIE: power-of-two NPU counts", List.of(NPU), req("mindie", mindie(90)),
                        "npu MULTI_GPU gpus=[0, 1] ram=4.0 vram={0=51.2,1=51.2} ngl=999 tp=2"),
                row("vox-box on one NVIDIA GPU", List.of(G24, CPU), req("vox-box", WHISPER),
                        "g24 SINGLE_GPU gpus=[0] ram=1.0 vram={0=5.0} ngl=999"),
                row("vox-box on the CPU when no GPU holds it", List.of(worker("small", 64, nvidia(0, 4, 0, 0))),
                        req("vox-box", WHISPER),
                        "small CPU_ONLY gpus=[] ram=3.0 vram={} ngl=0"));
    }

    static Stream<Arguments> mindieAcrossWorkers() {
        PlacementRequest across = req("mindie", M12, false, true);
        String small = "needs a GPU of 768.0 GiB with 80% of it free, largest free GPU has 63.0 GiB, its 8 GPUs"
                + " together 504.0 GiB";
        return Stream.of(
                row("2 servers × 8 NPUs for a model of 12 NPUs: world size 16, 8 on each",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=b:" + mindieNode(8)),
                row("without distributed inference a model too large for one server stays PENDING",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)), req("mindie", M12, false, false),
                        "No suitable workers. a: " + small + "; b: " + small),
                row("the world size must divide the heads: 16 NPUs cannot serve 12 heads",
                        List.of(npuServer("a", 256, 8), npuServer("b", 256, 8)),
                        req("mindie", mindie(12 * 64 * 0.8, 12), false, true),
                        "No suitable workers. a: " + small + "; across workers: NPUs like these need a world size of"
                                + " at least 16, and none from there divides the model's 12 attention heads; b: "
                                + small + "; across workers: NPUs like these need a world size of at least 16, and"
                                + " none from there divides the model's 12 attention heads"),
                row("an NPU without a device IP keeps its server out of the group", List.of(npuServer("a", 256, 8),
                                npuServer("b", 256, 8, 3), npuServer("c", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=c:" + mindieNode(8)),
                row("and is named when no group forms", List.of(npuServer("a", 256, 8), npuServer("b", 256, 8, 3)),
                        across, "No suitable workers. a: " + small + "; b: " + small
                                + "; across workers: NPU 3 has no device IP (hccn_tool)"),
                row("a server short of RAM for its node is left out", List.of(npuServer("a", 256, 8),
                                npuServer("b", 5, 8), npuServer("c", 256, 8)), across,
                        "a DISTRIBUTED gpus=" + mindieNode(8) + " ngl=999 tp=16 subs=c:" + mindieNode(8)),
                row("and is named when no group forms", List.of(npuServer("a", 256, 8), npuServer("b", 5, 8)),
                        across, "No suitable workers. a: " + small + "; b: " + small
                                + ", and 4.0 GiB RAM, 3.0 GiB allocatable"),
                row("4 + 4 NPUs when no server has 8 free: the same count on each, a power of two",
                        List.of(npuServer("a", 256, 6), npuServer("b", 256, 4)),
                        req("mindie", mindie(6 * 64 * 0.8), false, true),
                        "a DISTRIBUTED gpus=" + mindieNode(4) + " ngl=999 tp=8 subs=b:" + mindieNode(4)),
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

    static Stream<Arguments> scoring() {
        WorkerCapacity half = worker("half", 64, nvidia(0, 48, 20, 0));
        WorkerCapacity empty = worker("empty", 64, nvidia(0, 48, 0, 0));
        PlacementRequest small = req("llama-box", new ResourceEstimate(0, gib(4)));
        PlacementRequest smallGpu = req("llama-box", new ResourceEstimate(0, gib(4)), false, false);
        return Stream.of(
                row("spread: the emptiest", List.of(half, empty), small,
                        "empty SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("binpack: the fullest that fits", List.of(half, empty), small.withStrategy(Strategy.BINPACK),
                        "half SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("spread: a larger GPU ends up emptier", List.of(G24, G80), small,
                        "g80 SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("ties: the lower worker id", List.of(worker("w-2", 64, nvidia(0, 24, 0, 0)),
                                worker("w-1", 64, nvidia(0, 24, 0, 0))), small,
                        "w-1 SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("ties: then the lower GPU index", List.of(worker("w", 64, nvidia(1, 24, 0, 0),
                                nvidia(0, 24, 0, 0))), small,
                        "w SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("CPU: the most RAM left (spread)", List.of(worker("cpu-a", 16), worker("cpu-b", 32)),
                        req("llama-box", new ResourceEstimate(gib(4), gib(4))),
                        "cpu-b CPU_ONLY gpus=[] ram=4.0 vram={} ngl=0"),
                row("foreign processes count (ours)", List.of(worker("w", 64, nvidia(0, 24, 20, 0))), smallGpu,
                        "No suitable workers. w: needs 4.0 GiB VRAM, largest free GPU has 3.0 GiB"),
                row("foreign processes are invisible to claims-only accounting",
                        List.of(worker("w", 64, nvidia(0, 24, 20, 0))), smallGpu,
                        PlacementSettings.DEFAULT.withAccounting(PlacementSettings.Accounting.CLAIMS_ONLY),
                        "w SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("our claims count when they exceed reported use",
                        List.of(worker("w", 64, nvidia(0, 24, 2, 20))), smallGpu,
                        "No suitable workers. w: needs 4.0 GiB VRAM, largest free GPU has 3.0 GiB"),
                row("measured usage on that GPU model beats a lower estimate",
                        List.of(worker("w", 64, nvidia(0, 24, 0, 0)), worker("x", 64, nvidia(0, 48, 0, 0))),
                        small.withMeasuredVram(Map.of("NVIDIA 24G", gib(30))).withStrategy(Strategy.BINPACK),
                        "x SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("measured usage where it is the one to place", List.of(worker("w", 64, nvidia(0, 24, 0, 0))),
                        small.withMeasuredVram(Map.of("NVIDIA 24G", gib(6))),
                        "w SINGLE_GPU gpus=[0] ram=0.0 vram={0=6.0} ngl=999"));
    }

    static Stream<Arguments> manual() {
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
                                + " subs=other:[0] ram=0.3 vram={0=10.5}"));
    }

    static Stream<Arguments> noFit() {
        return Stream.of(
                row("no workers at all", List.of(), req("llama-box", L20),
                        "No suitable workers. No workers registered."),
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

    @ParameterizedTest(name = "{0}")
    @MethodSource({"filters", "llamaBox", "vllmMindieVox", "mindieAcrossWorkers", "scoring", "manual", "noFit"})
    void places(String why, List<WorkerCapacity> workers, PlacementRequest request, PlacementSettings settings,
                String expected) {
        assertEquals(expected, describe(PlacementEngine.place(ClusterSnapshot.of(workers, settings), request)));
        // the order the workers come in changes nothing
        List<WorkerCapacity> reversed = new ArrayList<>(workers);
        Collections.reverse(reversed);
        assertEquals(expected, describe(PlacementEngine.place(ClusterSnapshot.of(reversed, settings), request)));
    }

    @Test
    void theRationaleSaysShapeClaimAndScore() {
        var placed = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(ClusterSnapshot.of(List.of(TWO16)), req("llama-box", L20)));
        assertEquals("tensor split on two16 GPU 0,1: claims 22.0 GiB VRAM, 1.2 GiB RAM; score 23.3 (spread)",
                placed.rationale());
        placed = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(ClusterSnapshot.of(List.of(CPU)), req("llama-box", null)));
        assertEquals("CPU only on cpu: no estimate, claims 0.0 GiB RAM; score 100.0 (spread)", placed.rationale());
    }

    @Test
    void aClaimJustMadeCountsForTheNextReplica() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(worker("w-1", 64, nvidia(0, 24, 0, 0)),
                worker("w-2", 64, nvidia(0, 24, 0, 0))));
        PlacementRequest request = req("llama-box", L20);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("w-1", first.workerId());
        cluster = cluster.withPlacement(first, "m", false);
        var second = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("w-2", second.workerId());
        cluster = cluster.withPlacement(second, "m", false);
        assertInstanceOf(PlacementDecision.NoFit.class, PlacementEngine.place(cluster,
                req("llama-box", L20, false, false)));
        // giving the first back frees its GPU again
        var third = assertInstanceOf(PlacementDecision.Placed.class,
                PlacementEngine.place(cluster.withoutPlacement(first, "m", false), request));
        assertEquals("w-1", third.workerId());
    }

    @Test
    void aRayGroupKeepsItsWorkersFromTheNextOne() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(worker("a", 64, nvidia(0, 24, 0, 0)),
                worker("b", 64, nvidia(0, 24, 0, 0)), worker("c", 64, nvidia(0, 48, 0, 0))));
        PlacementRequest request = req("vllm", vllm(40, 32), false, true);
        var single = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("c", single.workerId(), "one worker comes before Ray");
        cluster = cluster.withPlacement(single, "m", false);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("a", first.workerId());
        assertEquals(1, first.subordinates().size());
        cluster = cluster.withPlacement(first, "m", true);
        assertEquals(Set.of("m"), cluster.worker("b").distributedVllmModels());
    }

    @Test
    void aMindieGroupKeepsItsWorkersFromTheNextOneAndGivesThemBack() {
        ClusterSnapshot cluster = ClusterSnapshot.of(List.of(npuServer("a", 256, 12), npuServer("b", 256, 12),
                npuServer("c", 256, 12)));
        PlacementRequest request = req("mindie", M12, false, true);
        var first = assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
        assertEquals("a", first.workerId());
        assertEquals(List.of("b"), first.subordinates().stream().map(s -> s.workerId()).toList());
        assertEquals("MindIE across 2 workers × 8 NPUs (world size 16) on a GPU 0,1,2,3,4,5,6,7 + b GPU"
                + " 0,1,2,3,4,5,6,7: claims 819.2 GiB VRAM, 4.0 GiB RAM; score 18.7 (spread)", first.rationale());
        cluster = cluster.withPlacement(first, "m", "mindie");
        assertEquals(Set.of("m"), cluster.worker("b").distributedMindieModels());
        assertEquals(Set.of(), cluster.worker("b").distributedVllmModels());
        // a and b still have 8 free NPUs each, but one MindIE group per worker: c alone cannot form another
        var second = assertInstanceOf(PlacementDecision.NoFit.class, PlacementEngine.place(cluster, request));
        assertTrue(second.perWorker().get("a").endsWith("across workers: already in a MindIE instance across"
                + " workers of m"), second.perWorker().get("a"));
        cluster = cluster.withoutPlacement(first, "m", "mindie");
        assertEquals(Set.of(), cluster.worker("b").distributedMindieModels());
        assertInstanceOf(PlacementDecision.Placed.class, PlacementEngine.place(cluster, request));
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
    }

    @Test
    void aBadSelectorEntryIsRejectedWithTheFieldAndFormat() {
        for (String bad : List.of("", "w:cuda", "w:gpu:0", "w:cuda:-1", "w:cuda:x", ":cuda:0")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> GpuSelection.parse(bad));
            assertTrue(e.getMessage().startsWith("gpu_selector entry '" + bad + "'"), e.getMessage());
        }
        assertEquals(new GpuSelection("host:a", "npu", 3), GpuSelection.parse("host:a:npu:3"));
    }

    static String describe(PlacementDecision decision) {
        if (decision instanceof PlacementDecision.NoFit noFit) {
            return noFit.reason();
        }
        PlacementDecision.Placed p = (PlacementDecision.Placed) decision;
        StringBuilder s = new StringBuilder(p.workerId() + " " + p.shape().kind() + " gpus=" + p.gpuIndexes() + " "
                + claim(p.claim()) + " ngl=" + p.shape().gpuLayers());
        if (!p.shape().tensorSplit().isEmpty()) {
            s.append(" split=").append(p.shape().tensorSplit());
        }
        if (p.shape().tensorParallelSize() > 1) {
            s.append(" tp=").append(p.shape().tensorParallelSize());
        }
        if (p.shape().pipelineParallelSize() > 1) {
            s.append(" pp=").append(p.shape().pipelineParallelSize());
        }
        p.subordinates().forEach(sub -> s.append(" subs=").append(sub.workerId()).append(':')
                .append(sub.gpuIndexes()).append(' ').append(claim(sub.claim())));
        if (!p.warnings().isEmpty()) {
            s.append(" warn=").append(p.warnings());
        }
        return s.toString();
    }

    static String claim(ResourceClaim claim) {
        return "ram=" + inGib(claim.ramBytes()) + " vram=" + claim.vramBytesByGpu().entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + "=" + inGib(e.getValue()))
                .collect(Collectors.joining(",", "{", "}"));
    }

    static String inGib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (double) GIB);
    }
}
