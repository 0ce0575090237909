package dev.gpufleet.registry.estimate;

import dev.gpufleet.registry.analysis.ModelArchitecture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryEstimatorTest {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;

    /** An 8B-like shape cut to 4 layers: 32 heads of 128, 8 KV heads (GQA), 100 MiB a layer, 250 MiB embeddings. */
    static final ModelArchitecture GQA_4_LAYERS = model(4, 100 * MIB, 250 * MIB, 250 * MIB);

    static ModelArchitecture model(int layers, long layerBytes, long embeddingBytes, long outputBytes) {
        return new ModelArchitecture("llama", "Q8_0", 0, layers, 4096, 14336, 32, 8, 128, 8192, 32000, 0,
                Collections.nCopies(layers, layerBytes), embeddingBytes, outputBytes, 0, false, false, 0);
    }

    static Stream<Arguments> kvCacheRows() {
        // 2 (K and V) × 4 layers × cells × 1024 (8 KV heads × 128) × bytes per element
        return Stream.of(
                Arguments.of(4096, KvCacheType.F16, false, 64 * MIB),
                Arguments.of(4096, KvCacheType.Q8_0, false, 34 * MIB), // 34 bytes per 32 values
                Arguments.of(4096, KvCacheType.Q4_0, false, 18 * MIB), // 18 bytes per 32 values
                Arguments.of(1000, KvCacheType.F16, false, 16 * MIB), // padded to 1024 cells
                Arguments.of(1100, KvCacheType.F16, false, 2L * 4 * 1120 * 1024 * 2), // padded to 32: 1120
                Arguments.of(1100, KvCacheType.F16, true, 2L * 4 * 1280 * 1024 * 2), // flash attention pads to 256
                Arguments.of(0, KvCacheType.F16, false, 128 * MIB)); // 0 = the model's own 8192
    }

    @ParameterizedTest(name = "ctx {0} {1} fa={2} → {3} bytes")
    @MethodSource("kvCacheRows")
    void kvCacheFollowsContextCacheTypeAndPadding(int ctx, KvCacheType type, boolean flashAttention, long expected) {
        LlamaBoxParameters params = LlamaBoxParameters.defaults(ctx).withKvCacheType(type)
                .withFlashAttention(flashAttention);
        MemoryEstimate cpu = MemoryEstimator.llamaBox(GQA_4_LAYERS, params, Placement.cpuOnly());
        assertEquals(expected, cpu.ram().kvCache());
        MemoryEstimate gpu = MemoryEstimator.llamaBox(GQA_4_LAYERS, params, Placement.fullGpu());
        assertEquals(expected, gpu.gpus().get(0).kvCache());
        assertEquals(0, gpu.ram().kvCache());
    }

    /** Rows: placement → layers' weights per GPU, RAM weights (embeddings + CPU layers), where the output goes. */
    static Stream<Arguments> placementRows() {
        return Stream.of(
                Arguments.of("cpu only", Placement.cpuOnly(), List.of(), 650 * MIB, -1),
                Arguments.of("last layer on GPU", Placement.partial(1), List.of(100 * MIB), 550 * MIB, -1),
                Arguments.of("3 of 4 layers", Placement.partial(3), List.of(300 * MIB), 350 * MIB, -1),
                // -ngl 4 offloads every layer but not the output layer (that needs -ngl 5)
                Arguments.of("all layers, output in RAM", Placement.partial(4), List.of(400 * MIB), 250 * MIB, -1),
                Arguments.of("full", Placement.fullGpu(), List.of(400 * MIB), 250 * MIB, 0),
                // 5 slots (4 layers + output) at 0, .2, .4 | .6, .8 against cumulative shares .5, 1
                Arguments.of("split 1,1", Placement.tensorSplit(1, 1), List.of(300 * MIB, 100 * MIB), 250 * MIB, 1),
                Arguments.of("split 3,1", Placement.tensorSplit(3, 1), List.of(400 * MIB, 0L), 250 * MIB, 1),
                Arguments.of("split 1,1,2", Placement.tensorSplit(1, 1, 2),
                        List.of(200 * MIB, 100 * MIB, 100 * MIB), 250 * MIB, 2),
                // partial over two GPUs: layers 2, 3 at 0/2, 1/2 against .5, 1
                Arguments.of("2 layers split 1,1", new Placement(2, List.of(1.0, 1.0)),
                        List.of(100 * MIB, 100 * MIB), 450 * MIB, -1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("placementRows")
    void layersAndOutputGoWhereLlamaCppPutsThem(String name, Placement placement, List<Long> gpuWeights,
            long ramWeights, int outputGpu) {
        MemoryEstimate e = MemoryEstimator.llamaBox(GQA_4_LAYERS, LlamaBoxParameters.defaults(4096), placement);
        assertEquals(gpuWeights, e.gpus().stream().map(DeviceMemory::weights).toList());
        assertEquals(ramWeights, e.ram().weights());
        for (int d = 0; d < e.gpus().size(); d++) {
            assertEquals(d == outputGpu ? 250 * MIB : 0, e.gpus().get(d).output(), "output on GPU " + d);
            long layers = gpuWeights.get(d) / (100 * MIB);
            assertEquals(layers * 16 * MIB, e.gpus().get(d).kvCache(), "KV on GPU " + d);
        }
        assertEquals(outputGpu < 0 ? 250 * MIB : 0, e.ram().output());
        long all = e.ram().weights() + e.ram().output()
                + e.gpus().stream().mapToLong(g -> g.weights() + g.output()).sum();
        assertEquals(GQA_4_LAYERS.weightBytes(), all, "every weight byte placed once");
    }

    @Test
    void computeBuffersFollowLlamaCppAttentionAndOutputScratch() {
        // ctx 4096, ubatch 512: scores 4096 × 512 × 32 heads × 4 = 256 MiB, mask 4096 × 512 × 4 = 8 MiB,
        // activations 4 × 512 × 4096 × 4 = 32 MiB; output 512 × 32000 × 4 + 2 × 512 × 4096 × 4
        long attention = 296 * MIB;
        long output = 512L * 32000 * 4 + 16 * MIB;
        long outputBuffer = 32000 * 4;
        MemoryEstimate cpu = MemoryEstimator.llamaBox(GQA_4_LAYERS, LlamaBoxParameters.defaults(4096),
                Placement.cpuOnly());
        assertEquals(attention + inputs(512) + outputBuffer, cpu.ram().compute());

        MemoryEstimate split = MemoryEstimator.llamaBox(GQA_4_LAYERS, LlamaBoxParameters.defaults(4096),
                Placement.tensorSplit(3, 1));
        assertEquals(attention + inputs(512), split.gpus().get(0).compute());
        assertEquals(output + inputs(512), split.gpus().get(1).compute(), "the GPU with only the output layer");
        assertEquals(512L * 4096 * 4 + inputs(512) + outputBuffer, split.ram().compute(),
                "host keeps one micro-batch input");

        // a context below the micro-batch shrinks the micro-batch too; then the logits of 256 tokens
        // (256 × 32000 × 4 + 2 × 256 × 4096 × 4) outgrow the attention scratch
        // (256 × 256 × 32 × 4 + 256 × 256 × 4 + 4 × 256 × 4096 × 4), and the larger one is the buffer
        MemoryEstimate small = MemoryEstimator.llamaBox(GQA_4_LAYERS, LlamaBoxParameters.defaults(256),
                Placement.cpuOnly());
        assertEquals(256L * 32000 * 4 + 8 * MIB + inputs(256) + outputBuffer, small.ram().compute());

        MemoryEstimate slots = MemoryEstimator.llamaBox(GQA_4_LAYERS, LlamaBoxParameters.defaults(4096)
                .withParallel(4), Placement.cpuOnly());
        assertEquals(attention + inputs(512) + 4 * outputBuffer, slots.ram().compute(), "one logits row per slot");
    }

    /** Token ids, positions and output ids of the micro-batch: 16 bytes a token. */
    private static long inputs(int ubatch) {
        return 16L * ubatch;
    }

    @Test
    void tiedEmbeddingsAreCopiedToTheOutputGpuOnlyWhenFullyOffloaded() {
        ModelArchitecture tied = model(4, 100 * MIB, 250 * MIB, 0);
        LlamaBoxParameters p = LlamaBoxParameters.defaults(4096);
        MemoryEstimate full = MemoryEstimator.llamaBox(tied, p, Placement.fullGpu());
        assertEquals(250 * MIB, full.gpus().get(0).output());
        assertEquals(250 * MIB, full.ram().weights(), "the input embeddings stay in RAM too");
        MemoryEstimate partial = MemoryEstimator.llamaBox(tied, p, Placement.partial(4));
        assertEquals(0, partial.gpus().get(0).output());
        assertEquals(0, partial.ram().output());
    }

    @Test
    void mmprojGoesToTheFirstGpuOrRam() {
        ModelArchitecture vision = new ModelArchitecture("llama", "Q8_0", 0, 2, 4096, 14336, 32, 8, 128, 8192,
                32000, 0, List.of(MIB, MIB), MIB, MIB, 0, false, false, 600 * MIB);
        LlamaBoxParameters p = LlamaBoxParameters.defaults(1024);
        assertEquals(600 * MIB, MemoryEstimator.llamaBox(vision, p, Placement.cpuOnly()).ram().mmproj());
        MemoryEstimate split = MemoryEstimator.llamaBox(vision, p, Placement.tensorSplit(1, 1));
        assertEquals(List.of(600 * MIB, 0L), split.gpus().stream().map(DeviceMemory::mmproj).toList());
        assertEquals(0, split.ram().mmproj());
    }

    /** 32 layers of 448 MiB = 14 GiB of weights; KV per token = 2 × 32 × 8 × 128 × 2 = 128 KiB. */
    static final ModelArchitecture VLLM_14_GIB = model(32, 448 * MIB, 0, 0);

    static Stream<Arguments> vllmRows() {
        long floor = 14 * GIB + 14 * GIB / 5 + 2 * GIB; // 18.8 GiB
        return Stream.of(
                // 32768 tokens: 4 GiB of KV; (14 + 4) / 0.9 = 20 GiB beats the floor
                Arguments.of(32768, 0.9, 1, List.of(20 * GIB)),
                // 4096 tokens: 0.5 GiB of KV; 14.5 / 0.9 = 16.1 GiB < 18.8: the floor
                Arguments.of(4096, 0.9, 1, List.of(floor)),
                Arguments.of(4096, 0.9, 2, List.of(floor / 2, floor / 2)),
                // 32768 tokens at 0.5: 36 GiB over 2 GPUs
                Arguments.of(32768, 0.5, 2, List.of(18 * GIB, 18 * GIB)),
                // 0 = the model's 8192: 1 GiB of KV, 15 / 0.9 = 16.7 GiB: the floor
                Arguments.of(0, 0.9, 1, List.of(floor)));
    }

    @ParameterizedTest(name = "max-model-len {0} at {1} over {2} GPU(s)")
    @MethodSource("vllmRows")
    void vllmNeedsWeightsAndKvOverUtilisationNeverBelowTheFloor(int maxLen, double util, int tp,
            List<Long> expected) {
        MemoryEstimate e = MemoryEstimator.vllm(VLLM_14_GIB, new VllmParameters(maxLen, util, tp));
        List<Long> vram = e.vramBytes();
        assertEquals(expected.size(), vram.size());
        for (int i = 0; i < vram.size(); i++) {
            // (weights + KV) / util is rounded up to a whole byte
            assertTrue(Math.abs(expected.get(i) - vram.get(i)) <= 1, expected.get(i) + " vs " + vram.get(i));
        }
        assertEquals(0, e.ramBytes());
    }

    @Test
    void outOfRangeSharesFallBackToTheDefaultsInsteadOfDividingByZero() {
        MemoryEstimate vllm = MemoryEstimator.vllm(VLLM_14_GIB, new VllmParameters(32768, 0, 1));
        assertEquals(20 * GIB, vllm.totalVramBytes(), 1);
        MemoryEstimate mindie = MemoryEstimator.mindie(GQA_4_LAYERS, new MindieParameters(8192, 200, 128, 5, 1.5, 1));
        assertEquals(Math.ceil((3 * GIB + 1428 * MIB) / 0.9), mindie.totalVramBytes(), 1);
    }

    @Test
    void degenerateShapesGiveNumbersNotExceptions() {
        ModelArchitecture empty = new ModelArchitecture("llama", "F16", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0, 0,
                false, false, 0);
        MemoryEstimate e = MemoryEstimator.llamaBox(empty, new LlamaBoxParameters(0, KvCacheType.F16, 0, 0, 0,
                false), Placement.tensorSplit(0, 0));
        assertEquals(0, e.totalVramBytes());
        assertEquals(0, e.ramBytes());
    }

    @Test
    void vllmFloorForEmbeddingModelsUsesTheSmallerOverhead() {
        ModelArchitecture embedding = new ModelArchitecture("bert", "F16", 0, 1, 1024, 4096, 16, 16, 64, 512,
                30000, 0, List.of(GIB), 0, 0, 0, true, false, 0);
        MemoryEstimate e = MemoryEstimator.vllm(embedding, new VllmParameters(512, 0.9, 1));
        assertEquals(GIB + GIB / 5 + 512 * MIB, e.totalVramBytes());
    }

    @Test
    void mindieAddsFootprintKvAndBatchScratchOverTheMemoryFraction() {
        // KV per token 2 × 8 × 128 × 4 layers × 2 = 16 KiB; 8192 tokens = 128 MiB;
        // computation 200 × 128 × 16 KiB = 400 MiB; footprint 3 GiB; weights 4 × 100 + 250 + 250 MiB
        long sum = 3 * GIB + 128 * MIB + 400 * MIB + 900 * MIB;
        MemoryEstimate e = MemoryEstimator.mindie(GQA_4_LAYERS, new MindieParameters(8192, 200, 128, 5, 0.5, 1));
        assertEquals(2 * sum, e.totalVramBytes());
        assertEquals(512 * MIB + 5 * GIB, e.ramBytes());
    }

    static Stream<Arguments> voxBoxRows() {
        return Stream.of(
                Arguments.of(VoxBoxFramework.FASTER_WHISPER, 75 * MIB, true, 1 * GIB, 3 * GIB / 2),
                Arguments.of(VoxBoxFramework.FASTER_WHISPER, 1500 * MIB, true, 5 * GIB, 15 * GIB / 2),
                Arguments.of(VoxBoxFramework.FASTER_WHISPER, 3000 * MIB, true, 10 * GIB, 15 * GIB),
                Arguments.of(VoxBoxFramework.BARK, 4 * GIB, true, 12 * GIB, 18 * GIB),
                Arguments.of(VoxBoxFramework.COSYVOICE, GIB, true, 3 * GIB, 7 * GIB),
                Arguments.of(VoxBoxFramework.COSYVOICE, GIB, false, 0L, 6 * GIB),
                Arguments.of(VoxBoxFramework.DIA, 6 * GIB, true, 10 * GIB, GIB),
                Arguments.of(VoxBoxFramework.DIA, 6 * GIB, false, 0L, 10 * GIB),
                Arguments.of(VoxBoxFramework.FUNASR, GIB, true, 0L, 0L));
    }

    @ParameterizedTest(name = "{0} {1} bytes gpu={2}")
    @MethodSource("voxBoxRows")
    void voxBoxUsesGpustacksTables(VoxBoxFramework framework, long fileBytes, boolean gpu, long vram, long ram) {
        MemoryEstimate e = MemoryEstimator.voxBox(framework, fileBytes, gpu);
        assertEquals(vram, e.totalVramBytes());
        assertEquals(ram, e.ramBytes());
    }
}
