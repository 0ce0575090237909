package dev.gpufleet.gateway.routing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceChoiceTest {

    static Stream<Arguments> choices() {
        return Stream.of(
                Arguments.of("no instance: nothing to choose", List.of(), Map.of(), Set.of(), 0L, null),
                Arguments.of("one idle instance", List.of("a"), Map.of(), Set.of(), 7L, "a"),
                Arguments.of("one busy instance is still chosen", List.of("a"), Map.of("a", 9), Set.of(), 0L, "a"),
                Arguments.of("fewest outstanding wins", List.of("a", "b", "c"), Map.of("a", 2, "b", 1, "c", 3),
                        Set.of(), 0L, "b"),
                Arguments.of("an absent count means idle", List.of("a", "b"), Map.of("a", 1), Set.of(), 0L, "b"),
                Arguments.of("ties: turn 0 takes the first", List.of("a", "b", "c"), Map.of(), Set.of(), 0L, "a"),
                Arguments.of("ties: turn 1 takes the second", List.of("a", "b", "c"), Map.of(), Set.of(), 1L, "b"),
                Arguments.of("ties: turns wrap around", List.of("a", "b", "c"), Map.of(), Set.of(), 5L, "c"),
                Arguments.of("ties rotate only among the least loaded", List.of("a", "b", "c"),
                        Map.of("b", 1), Set.of(), 1L, "c"),
                Arguments.of("an excluded instance is never chosen, even when idle", List.of("a", "b"),
                        Map.of("b", 4), Set.of("a"), 0L, "b"),
                Arguments.of("all excluded: nothing to choose", List.of("a", "b"), Map.of(), Set.of("a", "b"), 0L,
                        null),
                Arguments.of("counts of instances that are not candidates do not matter", List.of("b"),
                        Map.of("a", 0, "b", 3), Set.of(), 0L, "b"),
                Arguments.of("a huge turn still picks a tie", List.of("a", "b"), Map.of(), Set.of(),
                        Long.MAX_VALUE, "b"),
                Arguments.of("a negative turn (overflowed counter) still picks a tie", List.of("a", "b", "c"),
                        Map.of(), Set.of(), -1L, "c"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("choices")
    void choosesTheLeastLoadedRotatingAmongTies(String label, List<String> candidates, Map<String, Integer> outstanding,
                                                Set<String> excluded, long turn, String expected) {
        assertEquals(Optional.ofNullable(expected), InstanceChoice.choose(candidates, outstanding, excluded, turn));
    }
}
