package dev.gpufleet.scheduler.instances;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RestartBackoffTest {

    @ParameterizedTest(name = "restart {0} with base {1} waits {2}")
    @CsvSource({
            // n, base, delay: min(base * 2^(n-1), 30 * base)
            "1,    PT10S,  PT10S",
            "2,    PT10S,  PT20S",
            "3,    PT10S,  PT40S",
            "4,    PT10S,  PT80S",
            "5,    PT10S,  PT160S",
            "6,    PT10S,  PT300S",   // 320 s capped at 300 s
            "7,    PT10S,  PT300S",
            "64,   PT10S,  PT300S",   // no overflow however often it failed
            "2147483647, PT10S, PT300S",
            "0,    PT10S,  PT10S",    // below the first restart counts as the first
            "-5,   PT10S,  PT10S",
            "1,    PT1S,   PT1S",     // a short test base keeps the curve's shape
            "3,    PT1S,   PT4S",
            "6,    PT1S,   PT30S",
            "2,    PT0.5S, PT1S",
    })
    void followsGpuStacksCurve(int restart, Duration base, Duration expected) {
        assertEquals(expected, RestartBackoff.delay(restart, base));
    }
}
