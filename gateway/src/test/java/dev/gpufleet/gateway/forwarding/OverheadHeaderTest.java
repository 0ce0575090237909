package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The x-gpufleet-overhead-ms value: milliseconds with three decimals, as String.format("%.3f") would write it. */
class OverheadHeaderTest {

    @ParameterizedTest
    @CsvSource({
            "0, 0.000",
            "499, 0.000",
            "500, 0.001",
            "42000, 0.042",
            "123456, 0.123",
            "1000000, 1.000",
            "1050000, 1.050",
            "12345678, 12.346",
            "-5, 0.000"})
    void threeDecimalsOfAMillisecond(long nanos, String expected) {
        assertEquals(expected, OverheadHeader.millisText(nanos));
        if (nanos >= 0 && nanos % 1000 != 500) {
            assertEquals(String.format(Locale.ROOT, "%.3f", nanos / 1e6), OverheadHeader.millisText(nanos));
        }
    }
}
