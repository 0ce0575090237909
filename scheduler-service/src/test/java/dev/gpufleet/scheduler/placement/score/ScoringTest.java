package dev.gpufleet.scheduler.placement.score;

import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;

/**
 * spread and binpack, tie-breaks, and the memory that counts as used (foreign processes, our claims, measured
 * usage).
 */
class ScoringTest extends PlacementTable {

    static final String FILES = "huggingface Qwen/Qwen2.5-0.5B-Instruct-GGUF";

    /** The request for a model whose source is {@link #FILES}. */
    static PlacementRequest withFiles(PlacementRequest r) {
        return new PlacementRequest(r.modelId(), r.backend(), r.estimate(), r.workerSelector(), r.gpuSelector(),
                r.strategy(), r.cpuOffloading(), r.distributedInference(), r.allowOvercommit(),
                r.measuredVramByProduct(), r.parallelism(), r.backendVersion(), FILES);
    }

    static Stream<Arguments> rows() {
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
                row("ties: a worker that has the model's files, before the lower id",
                        List.of(worker("w-1", 64, nvidia(0, 24, 0, 0)),
                                worker("w-2", 64, nvidia(0, 24, 0, 0)).withModelFiles(Set.of(FILES)),
                                worker("w-3", 64, nvidia(0, 24, 0, 0)).withModelFiles(Set.of("huggingface other/x"))),
                        withFiles(small),
                        "w-2 SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("files only break ties: a better fit elsewhere wins",
                        List.of(G24.withModelFiles(Set.of(FILES)), G80), withFiles(small),
                        "g80 SINGLE_GPU gpus=[0] ram=0.0 vram={0=4.0} ngl=999"),
                row("files break ties on the CPU too", List.of(worker("cpu-a", 32),
                                worker("cpu-b", 32).withModelFiles(Set.of(FILES))),
                        withFiles(req("llama-box", new ResourceEstimate(gib(4), gib(4)))),
                        "cpu-b CPU_ONLY gpus=[] ram=4.0 vram={} ngl=0"),
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
}
