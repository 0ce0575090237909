package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.PlacementTable;
import dev.gpufleet.scheduler.placement.WorkerCapacity;
import org.junit.jupiter.params.provider.Arguments;

import java.util.List;
import java.util.stream.Stream;

import static dev.gpufleet.scheduler.placement.PlacementFixtures.*;

/** vLLM and MindIE on devices of one worker (tensor parallel sizes), vox-box on one GPU or the CPU. */
class OneWorkerShapesTest extends PlacementTable {

    static Stream<Arguments> rows() {
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
                row("MindIE: power-of-two NPU counts", List.of(NPU), req("mindie", mindie(90)),
                        "npu MULTI_GPU gpus=[0, 1] ram=4.0 vram={0=51.2,1=51.2} ngl=999 tp=2"),
                row("vox-box on one NVIDIA GPU", List.of(G24, CPU), req("vox-box", WHISPER),
                        "g24 SINGLE_GPU gpus=[0] ram=1.0 vram={0=5.0} ngl=999"),
                row("vox-box on the CPU when no GPU holds it", List.of(worker("small", 64, nvidia(0, 4, 0, 0))),
                        req("vox-box", WHISPER),
                        "small CPU_ONLY gpus=[] ram=3.0 vram={} ngl=0"));
    }
}
