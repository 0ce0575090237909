package dev.gpufleet.events;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class SizingTest {
    /**
     * Four layers of 100, 110, 120, 130 bytes, 10 bytes of KV each; compute 7 per device with layers, 50 where the
     * output layer is, 3 on the host when everything is offloaded; output 40 on a GPU, 30 in RAM; base 1000;
     * output buffer 5; projector 200.
     */
    private static final LayeredSizing MODEL = new LayeredSizing(4096, List.of(100L, 110L, 120L, 130L), 10, 7, 50,
            3, 40, 30, 1000, 5, 200);

    static Stream<Arguments> shapes() {
        return Stream.of(
                // CPU only: every layer, the output layer, the projector and the bigger scratch in RAM
                Arguments.of(0, List.of(), 1000 + 500 + 50 + 5 + 30 + 200, new long[0]),
                // -ngl 0 with a GPU: nothing on it but the projector
                Arguments.of(0, List.of(1.0), 1000 + 500 + 50 + 5 + 30, new long[] {200}),
                // the last two layers on the GPU
                Arguments.of(2, List.of(1.0), 1000 + 230 + 50 + 5 + 30, new long[] {130 + 140 + 7 + 200}),
                // all four layers but not the output layer
                Arguments.of(4, List.of(1.0), 1000 + 50 + 5 + 30, new long[] {500 + 7 + 200}),
                // everything: the host keeps only the input scratch
                Arguments.of(999, List.of(1.0), 1000 + 3 + 5, new long[] {500 + 40 + 50 + 200}),
                // an even split: layers 0-1 and 2 on GPU 0 (positions 0, 0.2, 0.4), 3 and output on GPU 1
                Arguments.of(999, List.of(1.0, 1.0), 1000 + 3 + 5,
                        new long[] {110 + 120 + 130 + 7 + 200, 140 + 40 + 50}),
                // a 1:3 split: layers 0 and 1 (positions 0 and 0.2) on GPU 0, the rest on GPU 1
                Arguments.of(999, List.of(1.0, 3.0), 1000 + 3 + 5,
                        new long[] {110 + 120 + 7 + 200, 130 + 140 + 40 + 50}));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void layeredSizingPlacesLayersAsLlamaCppDoes(int gpuLayers, List<Double> shares, long ram, long[] vram) {
        ShapeMemory memory = MODEL.memoryFor(gpuLayers, shares);

        assertEquals(ram, memory.ramBytes(), memory.toString());
        assertArrayEquals(vram, memory.vramBytes(), memory.toString());
    }

    static Stream<Arguments> shards() {
        ShardedSizing vllm = new ShardedSizing(90, 0.9, 130, 0, 28, false);
        ShardedSizing mindie = new ShardedSizing(80, 0.8, 0, 512, 0, true);
        return Stream.of(
                Arguments.of(vllm, 1, 130, true), // the floor is above 90 / 0.9 = 100
                Arguments.of(vllm, 2, 65, true),
                Arguments.of(vllm, 3, 44, false), // 28 heads do not divide by 3
                Arguments.of(vllm, 4, 33, true),
                Arguments.of(vllm, 8, 17, false),
                Arguments.of(mindie, 1, 100, true),
                Arguments.of(mindie, 2, 50, true),
                Arguments.of(mindie, 3, 34, false), // not a power of two
                Arguments.of(mindie, 0, 100, false));
    }

    @ParameterizedTest
    @MethodSource("shards")
    void shardedSizingSpreadsEvenlyAndChecksTheGroupSize(ShardedSizing sizing, int devices, long perDevice,
                                                          boolean allowed) {
        assertEquals(perDevice, sizing.perDeviceBytes(devices));
        assertEquals(allowed, sizing.allowsDeviceCount(devices));
    }
}
