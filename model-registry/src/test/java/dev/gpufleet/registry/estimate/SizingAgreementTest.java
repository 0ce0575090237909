package dev.gpufleet.registry.estimate;

import dev.gpufleet.events.FixedSizing;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ShapeMemory;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sizing that goes to the scheduler on {@code ModelChanged} must give, for every shape, exactly what the
 * registry's own estimator gives: the scheduler places with one, the admin API explains with the other.
 */
class SizingAgreementTest {
    static final long MIB = 1L << 20;

    static Stream<Arguments> modelsAndParameters() {
        List<Long> uneven = new ArrayList<>();
        for (int i = 0; i < 28; i++) {
            uneven.add((90 + i % 3 * 7) * MIB);
        }
        ModelArchitecture gqa = new ModelArchitecture("llama", "Q4_K_M", 8_000_000_000L, 28, 3584, 18944, 28, 4, 128,
                32768, 152064, 0, uneven, 400 * MIB, 400 * MIB, 3 * MIB, false, false, 0);
        ModelArchitecture tiedVision = new ModelArchitecture("qwen2vl", "Q8_0", 2_000_000_000L, 7, 1536, 8960, 12, 2,
                128, 4096, 151936, 0, List.of(50 * MIB, 51 * MIB, 52 * MIB, 53 * MIB, 54 * MIB, 55 * MIB, 56 * MIB),
                230 * MIB, 0, 0, false, false, 600 * MIB);
        return Stream.of(
                Arguments.of(gqa, LlamaBoxParameters.defaults(8192).withParallel(4)),
                Arguments.of(gqa, LlamaBoxParameters.defaults(32768).withKvCacheType(KvCacheType.Q8_0)
                        .withFlashAttention(true)),
                Arguments.of(tiedVision, LlamaBoxParameters.defaults(2048)),
                Arguments.of(tiedVision, LlamaBoxParameters.defaults(0).withUbatchSize(128)));
    }

    @ParameterizedTest
    @MethodSource("modelsAndParameters")
    void layeredSizingAgreesWithTheEstimatorOnEveryShape(ModelArchitecture model, LlamaBoxParameters params) {
        LayeredSizing sizing = MemoryEstimator.layeredSizing(model, params);
        List<Placement> shapes = new ArrayList<>(List.of(Placement.cpuOnly(), Placement.fullGpu(),
                Placement.tensorSplit(1, 1), Placement.tensorSplit(3, 1), Placement.tensorSplit(1, 1, 1, 1),
                Placement.tensorSplit(0.2, 0.5, 0.3)));
        for (int k = 0; k <= model.layers() + 1; k++) {
            shapes.add(Placement.partial(k));
            shapes.add(new Placement(k, List.of(1.0, 2.0)));
        }
        for (Placement shape : shapes) {
            MemoryEstimate estimate = MemoryEstimator.llamaBox(model, params, shape);
            ShapeMemory memory = sizing.memoryFor(shape.gpuLayers(), shape.tensorSplit());

            assertEquals(estimate.ramBytes(), memory.ramBytes(), "RAM for " + shape);
            assertEquals(estimate.vramBytes(), java.util.Arrays.stream(memory.vramBytes()).boxed().toList(),
                    "VRAM for " + shape);
        }
    }

    @ParameterizedTest
    @MethodSource("modelsAndParameters")
    void shardedSizingAgreesWithVllmForEveryTensorParallelSize(ModelArchitecture model, LlamaBoxParameters ignored) {
        for (double utilisation : new double[] {0.9, 0.5}) {
            for (int tp = 1; tp <= 8; tp *= 2) {
                VllmParameters params = new VllmParameters(8192, utilisation, tp);
                ShardedSizing sizing = MemoryEstimator.vllmSizing(model, new VllmParameters(8192, utilisation, 1));

                assertEquals(MemoryEstimator.vllm(model, params).vramBytes().get(0), sizing.perDeviceBytes(tp),
                        "tp " + tp + " at " + utilisation);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("modelsAndParameters")
    void shardedSizingStaysWithinBytesOfMindieForEveryNpuCount(ModelArchitecture model, LlamaBoxParameters ignored) {
        for (int npus = 1; npus <= 8; npus *= 2) {
            MindieParameters params = new MindieParameters(8192, 200, 128, 5, 0.8, npus);
            MemoryEstimate estimate = MemoryEstimator.mindie(model, params);
            ShardedSizing sizing = MemoryEstimator.mindieSizing(model, params);

            // the estimator rounds each part up per NPU, the sizing the sum: a few bytes apart at most
            assertEquals(estimate.vramBytes().get(0), sizing.perDeviceBytes(npus), 8.0, "NPUs " + npus);
            assertEquals(estimate.ramBytes(), sizing.ramBytes());
        }
    }

    @ParameterizedTest
    @MethodSource("modelsAndParameters")
    void fixedSizingIsTheVoxBoxTable(ModelArchitecture ignoredModel, LlamaBoxParameters ignored) {
        FixedSizing sizing = MemoryEstimator.voxBoxSizing(VoxBoxFramework.FASTER_WHISPER, 1500 * MIB);

        MemoryEstimate gpu = MemoryEstimator.voxBox(VoxBoxFramework.FASTER_WHISPER, 1500 * MIB, true);
        assertEquals(gpu.totalVramBytes(), sizing.gpu().vramBytes());
        assertEquals(gpu.ramBytes(), sizing.gpu().ramBytes());
        assertEquals(MemoryEstimator.voxBox(VoxBoxFramework.FASTER_WHISPER, 1500 * MIB, false).ramBytes(),
                sizing.cpuOnly().ramBytes());
    }
}
