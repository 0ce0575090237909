package dev.gpufleet.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FormatTest {

    @ParameterizedTest
    @CsvSource({"0, 0 B", "1023, 1023 B", "1024, 1.0 KiB", "1536, 1.5 KiB", "28415590, 27.1 MiB",
            "85899345920, 80.0 GiB", "1099511627776, 1.0 TiB"})
    void bytes(long bytes, String shown) {
        assertEquals(shown, Format.bytes(bytes));
    }

    @ParameterizedTest
    @CsvSource({"2026-01-01T00:00:00Z, 0s", "2025-12-31T23:59:18Z, 42s", "2025-12-31T23:55:00Z, 5m",
            "2025-12-31T21:00:00Z, 3h", "2025-12-29T00:00:00Z, 3d", "2026-01-01T00:00:10Z, 0s",
            "not a time, not a time"})
    void age(String then, String shown) {
        assertEquals(shown, Format.age(then, Instant.parse("2026-01-01T00:00:00Z")));
    }

    @ParameterizedTest
    @CsvSource({"30d, PT720H", "12h, PT12H", "90m, PT1H30M", "2w, PT336H", "1D, PT24H"})
    void keyLifetimes(String text, String duration) {
        assertEquals(java.time.Duration.parse(duration), KeysCommand.lifetime("--expires-in", text));
    }

    @ParameterizedTest
    @CsvSource({"0d", "30", "d", "3y", "-1d"})
    void badKeyLifetimesAreUsageErrorsNamingTheOption(String text) {
        CliException e = org.junit.jupiter.api.Assertions.assertThrows(CliException.class,
                () -> KeysCommand.lifetime("--expires-in", text));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("--expires-in:"), e.getMessage());
    }
}
