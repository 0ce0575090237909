package dev.gpufleet.gateway.routing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceHealthTest {
    static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
    static final InstanceHealth.Policy POLICY = new InstanceHealth.Policy(3, Duration.ofSeconds(30));

    /** Events: "F@s" a failure at second s, "S" a success; then whether it is skipped at second {@code at}. */
    static Stream<Arguments> histories() {
        return Stream.of(
                Arguments.of("no history", List.of(), 0, false),
                Arguments.of("two failures: still tried", List.of("F@0", "F@1"), 2, false),
                Arguments.of("three in a row: skipped", List.of("F@0", "F@1", "F@2"), 3, true),
                Arguments.of("skipped until the period is over", List.of("F@0", "F@1", "F@2"), 31, true),
                Arguments.of("tried again once it is over", List.of("F@0", "F@1", "F@2"), 32, false),
                Arguments.of("a success in between resets the count", List.of("F@0", "F@1", "S", "F@2"), 3, false),
                Arguments.of("a success after skipping clears it", List.of("F@0", "F@1", "F@2", "S"), 3, false),
                Arguments.of("after the period one more failure skips it again",
                        List.of("F@0", "F@1", "F@2", "F@40"), 41, true),
                Arguments.of("the new period runs from the last failure",
                        List.of("F@0", "F@1", "F@2", "F@40"), 69, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("histories")
    void repeatedFailuresSkipAnInstanceForAWhile(String label, List<String> events, int at, boolean skipped) {
        InstanceHealth health = InstanceHealth.GOOD;
        for (String event : events) {
            health = event.equals("S") ? health.afterSuccess()
                    : health.afterFailure(T0.plusSeconds(Long.parseLong(event.substring(2))), POLICY);
        }
        assertEquals(skipped, health.skippedAt(T0.plusSeconds(at)), health.toString());
    }
}
