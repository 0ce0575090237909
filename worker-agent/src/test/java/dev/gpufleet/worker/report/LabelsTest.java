package dev.gpufleet.worker.report;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LabelsTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("zone=a,tier=gpu", Map.of("zone", "a", "tier", "gpu")),
                Arguments.of(" zone = a , , tier=gpu ,", Map.of("zone", "a", "tier", "gpu")),
                Arguments.of("empty-value=", Map.of("empty-value", "")),
                Arguments.of("k=v=w", Map.of("k", "v=w")),
                Arguments.of("zone=a,zone=b", Map.of("zone", "b")),
                Arguments.of("", Map.of()),
                Arguments.of(null, Map.of()));
    }

    @ParameterizedTest
    @MethodSource("valid")
    void parses(String setting, Map<String, String> expected) {
        assertEquals(expected, Labels.parse(setting));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "zone       | zone",
            "zone=a,gpu | gpu",
            "=a         | =a",
            "' =a'      | =a",
    })
    void aPairWithoutKeyIsNamed(String setting, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Labels.parse(setting));
        assertEquals("gpufleet.worker.labels: '" + named + "' is not key=value (e.g. zone=a,tier=gpu)", e.getMessage());
    }
}
