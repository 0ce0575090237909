package dev.gpufleet.worker.host;

import dev.gpufleet.worker.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcStatParserTest {

    @Test
    void recordedDebian12HostTwoSecondsApart() throws Exception {
        // cpu  18252 0 5875 102295 257 0 87 63 0 0  →  cpu  18485 0 5907 102428 257 0 87 64 0 0
        CpuTimes t0 = ProcStatParser.parse(Fixtures.text("proc/stat-debian12-2cpu-t0.txt"));
        CpuTimes t1 = ProcStatParser.parse(Fixtures.text("proc/stat-debian12-2cpu-t1.txt"));

        assertEquals(new CpuTimes(18252 + 5875 + 102295 + 257 + 87 + 63, 102295 + 257), t0);
        assertEquals(new CpuTimes(18485 + 5907 + 102428 + 257 + 87 + 64, 102428 + 257), t1);
        // Δtotal 399 ticks, Δidle 133 → 266/399 busy
        assertEquals(66.7, CpuTimes.utilizationPercent(t0, t1));
    }

    @Test
    void anOldKernelWithOnlyFourValuesStillCounts() throws Exception {
        assertEquals(new CpuTimes(100, 70), ProcStatParser.parse("cpu 10 5 15 70\ncpu0 10 5 15 70\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "first sample: since boot |        | 100,25 | 75.0",
            "idle machine              | 100,25 | 200,125 | 0.0",
            "fully busy                | 100,25 | 200,25 | 100.0",
            "no time passed            | 100,25 | 100,25 | 0.0",
            "counters went backwards   | 100,25 | 50,10 | 0.0",
    })
    void utilization(String label, String earlier, String later, double expected) {
        assertEquals(expected, CpuTimes.utilizationPercent(times(earlier), times(later)));
    }

    private static CpuTimes times(String totalAndIdle) {
        if (totalAndIdle == null) {
            return null;
        }
        String[] parts = totalAndIdle.split(",");
        return new CpuTimes(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    static Stream<Arguments> unreadable() {
        return Stream.of(
                Arguments.of("empty", "   ", "/proc/stat is empty"),
                Arguments.of("only per-core lines", "cpu0 1 2 3 4\ncpu1 1 2 3 4\n", "no aggregate 'cpu' line"),
                Arguments.of("too few values", "cpu  1 2 3\n", "has 3 values, expected at least 4"),
                Arguments.of("not a number", "cpu  1 2 x 4 5\n", "value 3 is 'x'"),
                Arguments.of("negative", "cpu  1 2 -3 4\n", "value 3 is negative"),
                Arguments.of("cut mid-number", Fixtures.text("proc/stat-debian12-2cpu-t0.txt").substring(0, 16),
                        "has 3 values"),
                Arguments.of("binary noise", "\u0000\u0001\u00fe", "no aggregate 'cpu' line"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void garbledInputIsAClearErrorNotACrash(String label, String text, String expected) {
        UnreadableHostDataException e = assertThrows(UnreadableHostDataException.class,
                () -> ProcStatParser.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
