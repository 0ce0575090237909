package dev.gpufleet.scheduler.metrics;

import dev.gpufleet.scheduler.metrics.GpuMemoryFigures.ReportedGpu;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GpuMemoryFiguresTest {
    static final long GIB = 1L << 30;

    /** total, used as reported, claimed by placements (GiB) → used by others (GiB). */
    @ParameterizedTest(name = "total {0}, used {1}, claimed {2} -> others {3}")
    @CsvSource({
            "24, 0, 0, 0",      // an idle GPU
            "24, 6, 0, 6",      // nothing of gpufleet's, a desktop session and a notebook hold 6
            "24, 10, 8, 2",     // a backend at its claim of 8, and 2 of someone else's
            "24, 3, 8, 0",      // a backend still loading: less in use than claimed is no one else's
            "80, 79, 40, 39",   // a training job beside a placement
            "24, 30, 0, 24",    // a report above the total (a driver's rounding) counts as the total
    })
    void usedByOthersIsUsedLessClaimedNeverBelowZero(long total, long used, long claimed, long others) {
        Map<List<String>, Long> out = GpuMemoryFigures.usedByOthers(
                List.of(new ReportedGpu("w1", 0, total * GIB, used * GIB)),
                claimed == 0 ? Map.of() : Map.of(List.of("w1", "0"), claimed * GIB));
        assertEquals(Map.of(List.of("w1", "0"), others * GIB), out);
    }

    @org.junit.jupiter.api.Test
    void eachGpuOfEachWorkerHasItsOwnFigure() {
        Map<List<String>, Long> out = GpuMemoryFigures.usedByOthers(List.of(
                        new ReportedGpu("w1", 0, 24 * GIB, 10 * GIB), new ReportedGpu("w1", 1, 24 * GIB, 10 * GIB),
                        new ReportedGpu("w2", 0, 24 * GIB, 10 * GIB)),
                Map.of(List.of("w1", "1"), 10 * GIB, List.of("w2", "0"), 4 * GIB));
        assertEquals(Map.of(List.of("w1", "0"), 10 * GIB, List.of("w1", "1"), 0L, List.of("w2", "0"), 6 * GIB), out);
    }
}
