package dev.gpufleet.worker.host;

import dev.gpufleet.worker.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemInfoParserTest {

    @Test
    void recordedDebian12Host() throws Exception {
        MemInfo info = MemInfoParser.parse(Fixtures.text("proc/meminfo-debian12-24g.txt"));

        assertEquals(24_684_096L * 1024, info.totalBytes());
        assertEquals(24_098_948L * 1024, info.availableBytes());
        assertEquals((24_684_096L - 24_098_948L) * 1024, info.usedBytes());
    }

    @Test
    void fieldOrderAndExtraLinesDoNotMatter() throws Exception {
        MemInfo info = MemInfoParser.parse("HugePages_Total:       0\nMemAvailable: 1024 kB\nMemTotal: 4096 kB\n");
        assertEquals(new MemInfo(4096L * 1024, 1024L * 1024), info);
    }

    static Stream<Arguments> unreadable() {
        return Stream.of(
                Arguments.of("empty", "", "/proc/meminfo is empty"),
                Arguments.of("truncated read", Fixtures.text("proc/meminfo-truncated.txt"),
                        "/proc/meminfo has no MemAvailable line"),
                Arguments.of("control characters", Fixtures.text("proc/meminfo-garbled.txt"),
                        "MemAvailable is"),
                Arguments.of("pre-3.14 kernel", "MemTotal: 4096 kB\nMemFree: 100 kB\n",
                        "/proc/meminfo has no MemAvailable line"),
                Arguments.of("no MemTotal", "MemAvailable: 1024 kB\n", "/proc/meminfo has no MemTotal line"),
                Arguments.of("not a number", "MemTotal: lots kB\nMemAvailable: 1 kB\n",
                        "MemTotal is 'lots kB', expected '<number> kB'"),
                Arguments.of("other unit", "MemTotal: 4 GB\nMemAvailable: 1 kB\n", "MemTotal is '4 GB'"),
                Arguments.of("no unit", "MemTotal: 4096\nMemAvailable: 1 kB\n", "MemTotal is '4096'"),
                Arguments.of("negative", "MemTotal: -4096 kB\nMemAvailable: 1 kB\n", "MemTotal is '-4096 kB'"),
                Arguments.of("overflow", "MemTotal: 99999999999999999 kB\nMemAvailable: 1 kB\n",
                        "MemTotal is '99999999999999999 kB'"),
                Arguments.of("zero total", "MemTotal: 0 kB\nMemAvailable: 0 kB\n", "MemTotal is 0 kB"),
                Arguments.of("available above total", "MemTotal: 10 kB\nMemAvailable: 20 kB\n",
                        "MemAvailable (20480 B) is larger than MemTotal (10240 B)"),
                Arguments.of("binary noise", "\u0000\u00ff\u0001garbage", "/proc/meminfo has no MemTotal line"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unreadable")
    void garbledInputIsAClearErrorNotACrash(String label, String text, String expected) {
        UnreadableHostDataException e = assertThrows(UnreadableHostDataException.class,
                () -> MemInfoParser.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
