package dev.gpufleet.gateway.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** Two ids whose rendezvous ranking under KEY is known: {@link #FIRST} above {@link #SECOND}. */
    static final long KEY = 42L;
    static final String FIRST = rankedIds().get(0);
    static final String SECOND = rankedIds().get(1);
    static final String THIRD = rankedIds().get(2);

    static List<String> rankedIds() {
        return Stream.of("i-a", "i-b", "i-c")
                .sorted((x, y) -> Long.compare(InstanceChoice.score(KEY, y), InstanceChoice.score(KEY, x)))
                .toList();
    }

    static Stream<Arguments> affineChoices() {
        List<String> all = List.of("i-a", "i-b", "i-c");
        return Stream.of(
                Arguments.of("idle: the top-ranked instance", all, Map.of(), Set.of(), Set.of(), 2, FIRST),
                Arguments.of("the preferred one within the slack keeps it", all, Map.of(FIRST, 2), Set.of(),
                        Set.of(), 2, FIRST),
                Arguments.of("beyond the slack: the next in its ranking", all, Map.of(FIRST, 3), Set.of(),
                        Set.of(), 2, SECOND),
                Arguments.of("the bound is relative to the least loaded", all,
                        Map.of(FIRST, 5, SECOND, 9, THIRD, 3), Set.of(), Set.of(), 2, FIRST),
                Arguments.of("slack 0: only the least loaded qualify, ranked", all, Map.of(FIRST, 1), Set.of(),
                        Set.of(), 0, SECOND),
                Arguments.of("a tried instance is not preferred again", all, Map.of(), Set.of(FIRST), Set.of(), 2,
                        SECOND),
                Arguments.of("a skipped instance loses its preference", all, Map.of(), Set.of(), Set.of(FIRST), 2,
                        SECOND),
                Arguments.of("the least loaded among healthy sets the bound", all,
                        Map.of(FIRST, 0, SECOND, 7, THIRD, 5), Set.of(), Set.of(FIRST), 2, SECOND),
                Arguments.of("all skipped: they are tried anyway", all, Map.of(), Set.of(),
                        Set.of("i-a", "i-b", "i-c"), 2, FIRST),
                Arguments.of("all excluded: nothing", all, Map.of(), Set.of("i-a", "i-b", "i-c"), Set.of(), 2, null),
                Arguments.of("a negative slack counts as 0", all, Map.of(FIRST, 1), Set.of(), Set.of(), -3, SECOND));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("affineChoices")
    void anAffinityKeyPrefersItsInstanceWhileWithinTheSlack(String label, List<String> candidates,
                                                           Map<String, Integer> outstanding, Set<String> excluded,
                                                           Set<String> skipped, int slack, String expected) {
        assertEquals(Optional.ofNullable(expected), InstanceChoice.choose(candidates, outstanding, excluded, skipped,
                OptionalLong.of(KEY), slack, 0));
    }

    static Stream<Arguments> skippedWithoutAffinity() {
        return Stream.of(
                Arguments.of("a skipped instance is passed over although idle", List.of("a", "b"),
                        Map.of("b", 3), Set.of("a"), "b"),
                Arguments.of("all skipped: the least loaded of them", List.of("a", "b"), Map.of("a", 1),
                        Set.of("a", "b"), "b"),
                Arguments.of("skipping a non-candidate changes nothing", List.of("a", "b"), Map.of("a", 1),
                        Set.of("z"), "b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("skippedWithoutAffinity")
    void skippedInstancesAreALastResort(String label, List<String> candidates, Map<String, Integer> outstanding,
                                        Set<String> skipped, String expected) {
        assertEquals(Optional.of(expected), InstanceChoice.choose(candidates, outstanding, Set.of(), skipped,
                OptionalLong.empty(), 2, 0));
    }

    @Test
    void keysSpreadOverInstancesAndRemovingOneMovesOnlyItsKeys() {
        List<String> four = List.of("i-0", "i-1", "i-2", "i-3");
        List<String> three = List.of("i-0", "i-1", "i-3");
        Map<String, Integer> perInstance = new HashMap<>();
        int moved = 0;
        for (long key = 0; key < 4000; key++) {
            String before = InstanceChoice.choose(four, Map.of(), Set.of(), Set.of(), OptionalLong.of(key), 2, 0)
                    .orElseThrow();
            String after = InstanceChoice.choose(three, Map.of(), Set.of(), Set.of(), OptionalLong.of(key), 2, 0)
                    .orElseThrow();
            perInstance.merge(before, 1, Integer::sum);
            if (!before.equals(after)) {
                moved++;
                assertEquals("i-2", before, "key " + key + " moved off an instance that stayed");
            }
        }
        assertEquals(4, perInstance.size());
        perInstance.values().forEach(count -> assertTrue(count > 800 && count < 1200, perInstance.toString()));
        assertEquals(perInstance.get("i-2"), moved);
    }
}
