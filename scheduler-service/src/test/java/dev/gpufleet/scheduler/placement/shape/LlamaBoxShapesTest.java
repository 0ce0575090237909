package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.scheduler.placement.PlacementTable;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;

/** llama-box's shapes in their order: one GPU, a tensor split, RPC servers, partial offload, CPU only. */
class LlamaBoxShapesTest extends PlacementTable {

    static Stream<Arguments> rows() {
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
}
