package dev.gpufleet.gateway.routing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.OptionalLong;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefixKeyTest {
    static final String SYSTEM = "S".repeat(8);

    static Stream<Arguments> pairs() {
        // block of 4 chars, at most 2 blocks: only the first 8 characters count
        return Stream.of(
                Arguments.of("same leading blocks, different tails: same key", SYSTEM + "question one",
                        SYSTEM + "another question", true),
                Arguments.of("a difference inside the blocks: different keys", "SSSSSSSX" + "tail",
                        SYSTEM + "tail", false),
                Arguments.of("only whole blocks count", "abcdefgh" + "ij", "abcdefgh" + "xy", true),
                Arguments.of("one whole block each, different second halves", "abcdXY", "abcdZW", true),
                Arguments.of("different first blocks", "abcdefgh", "abcxefgh", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pairs")
    void theLeadingWholeBlocksMakeTheKey(String label, String a, String b, boolean same) {
        OptionalLong keyA = PrefixKey.of(a, 4, 2);
        OptionalLong keyB = PrefixKey.of(b, 4, 2);
        assertTrue(keyA.isPresent() && keyB.isPresent());
        if (same) {
            assertEquals(keyA, keyB);
        } else {
            assertNotEquals(keyA, keyB);
        }
    }

    static Stream<Arguments> noKey() {
        return Stream.of(
                Arguments.of("shorter than a block", "abc", 4, 2),
                Arguments.of("empty", "", 4, 2),
                Arguments.of("null", null, 4, 2),
                Arguments.of("affinity off (0 blocks)", "abcdefgh", 4, 0),
                Arguments.of("nonsense block size", "abcdefgh", 0, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("noKey")
    void withoutAWholeBlockThereIsNoKey(String label, String text, int blockChars, int blocks) {
        assertEquals(OptionalLong.empty(), PrefixKey.of(text, blockChars, blocks));
    }
}
