package dev.gpufleet.scheduler.usage;

import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.ResourceClaim;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MeasuredUsageTest {
    private static final long GIB = 1L << 30;
    private static final String H100 = "NVIDIA H100 80GB HBM3";
    private static final String L40S = "NVIDIA L40S";

    static GpuDevice gpu(int index, String name) {
        return new GpuDevice(index, "nvidia", "cuda", name, "GPU-" + index, 80 * GIB, 0, 0);
    }

    /** A mixed node: two H100s (0, 1) and an L40S (2). */
    static final List<GpuDevice> NODE = List.of(gpu(0, H100), gpu(1, H100), gpu(2, L40S));

    static Map<Integer, Long> vram(Object... indexAndBytes) {
        Map<Integer, Long> m = new HashMap<>();
        for (int i = 0; i < indexAndBytes.length; i += 2) {
            m.put((Integer) indexAndBytes[i], (Long) indexAndBytes[i + 1]);
        }
        return m;
    }

    static Stream<Arguments> table() {
        return Stream.of(
                Arguments.of("one GPU", vram(0, 20 * GIB), Map.of(H100, 20 * GIB)),
                Arguments.of("tensor split over two of a product: the larger share counts",
                        vram(0, 18 * GIB, 1, 21 * GIB), Map.of(H100, 21 * GIB)),
                Arguments.of("two products, each its own peak", vram(1, 30 * GIB, 2, 25 * GIB),
                        Map.of(H100, 30 * GIB, L40S, 25 * GIB)),
                Arguments.of("an index the worker does not have says nothing", vram(7, 30 * GIB, 2, GIB),
                        Map.of(L40S, GIB)),
                Arguments.of("zero or negative amounts are not measurements", vram(0, 0L, 1, -5L), Map.of()),
                Arguments.of("CPU only: nothing", vram(), Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void peakPerGpuProduct(String why, Map<Integer, Long> vram, Map<String, Long> expected) {
        assertEquals(expected, MeasuredUsage.peakPerGpuProduct(new ResourceClaim(4 * GIB, vram), NODE));
    }

    @org.junit.jupiter.api.Test
    void theHigherOfEstimateAndMeasurementCounts() {
        assertEquals(Map.of(H100, 30 * GIB, L40S, 24 * GIB),
                MeasuredUsage.higherOf(24 * GIB, Map.of(H100, 30 * GIB, L40S, 20 * GIB)));
    }
}
