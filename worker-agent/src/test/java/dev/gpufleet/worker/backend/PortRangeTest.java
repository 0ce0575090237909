package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class PortRangeTest {
    private static final PortRange RANGE = new PortRange(40000, 40003);

    static Stream<Arguments> picks() {
        return Stream.of(
                arguments("the lowest port when all are free", Set.of(), Set.of(), OptionalInt.of(40000)),
                arguments("skips ports this agent handed out", Set.of(40000, 40001), Set.of(), OptionalInt.of(40002)),
                arguments("skips ports something else listens on", Set.of(), Set.of(40000, 40002),
                        OptionalInt.of(40001)),
                arguments("a freed port is handed out again", Set.of(40001, 40002), Set.of(), OptionalInt.of(40000)),
                arguments("the last one", Set.of(40000, 40001), Set.of(40002), OptionalInt.of(40003)),
                arguments("none left", Set.of(40000, 40001), Set.of(40002, 40003), OptionalInt.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("picks")
    void picksTheLowestFreePort(String description, Set<Integer> allocated, Set<Integer> inUse,
                                OptionalInt expected) {
        assertEquals(expected, RANGE.pick(allocated, inUse::contains));
    }

    @ParameterizedTest
    @CsvSource({"40000-40063, 40000, 40063, 64", " 8000 - 8000 , 8000, 8000, 1", "1-65535, 1, 65535, 65535"})
    void parses(String setting, int first, int last, int size) {
        PortRange range = PortRange.parse(setting);
        assertEquals(new PortRange(first, last), range);
        assertEquals(size, range.size());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "40000|gpufleet.worker.port-range '40000' is not FROM-TO, e.g. 40000-40063",
            "a-b|gpufleet.worker.port-range 'a-b' is not FROM-TO, e.g. 40000-40063",
            "40063-40000|gpufleet.worker.port-range '40063-40000': port range 40063-40000 is not FROM-TO with "
                    + "1 <= FROM <= TO <= 65535",
            "0-10|gpufleet.worker.port-range '0-10': port range 0-10 is not FROM-TO with 1 <= FROM <= TO <= 65535",
            "1-70000|gpufleet.worker.port-range '1-70000': port range 1-70000 is not FROM-TO with "
                    + "1 <= FROM <= TO <= 65535"})
    void rejectsWhatIsNotARange(String setting, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> PortRange.parse(setting))
                .getMessage());
    }

    @Test
    void aPortSomethingListensOnIsInUse() throws Exception {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertEquals(true, LocalPorts.inUse("127.0.0.1", socket.getLocalPort()));
            assertEquals(true, LocalPorts.inUse("0.0.0.0", socket.getLocalPort()));
        }
    }
}
