package dev.gpufleet.gateway.routing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PrefixHasherTest {
    private static final int[][] SETTINGS = {
            {1, 1}, {1, 2}, {1, 7}, {1, 4096}, {2, 3}, {3, 1}, {3, 5}, {4, 2}, {5, 4}, {7, 9}, {8, 8}, {13, 3},
            {64, 16}, {512, 2}, {1000, 3}, {0, 2}, {4, 0}, {-1, 3}};

    /** The key as the class documents it, written plainly over the text of the whole blocks. */
    private static OptionalLong reference(String text, int blockChars, int maxBlocks) {
        if (blockChars <= 0 || maxBlocks <= 0) {
            return OptionalLong.empty();
        }
        long blocks = Math.min(text.length() / blockChars, maxBlocks);
        if (blocks == 0) {
            return OptionalLong.empty();
        }
        String hashed = text.substring(0, (int) (blocks * blockChars));
        long[] lanes = {0x9e3779b97f4a7c15L, 0x9e3779b97f4a7c15L * 3, 0x9e3779b97f4a7c15L * 5,
                0x9e3779b97f4a7c15L * 7};
        long group = 0;
        for (int i = 0; i < hashed.length(); i++) {
            group |= (long) hashed.charAt(i) << (16 * (i % 4));
            if (i % 4 == 3 || i == hashed.length() - 1) {
                int lane = (i / 4) % 4; // group g in lane g mod 4, a partial last group too
                lanes[lane] = Long.rotateLeft((lanes[lane] ^ group) * 0xff51afd7ed558ccdL, 29);
                group = 0;
            }
        }
        long h = lanes[0];
        for (int lane = 1; lane < 4; lane++) {
            h = Long.rotateLeft((h ^ lanes[lane]) * 0xff51afd7ed558ccdL, 29);
        }
        h = Long.rotateLeft((h ^ hashed.length()) * 0xff51afd7ed558ccdL, 29);
        return OptionalLong.of(InstanceChoice.mix(h));
    }

    static Stream<Arguments> texts() {
        return Stream.of(
                Arguments.of("empty", ""),
                Arguments.of("one char", "a"),
                Arguments.of("ascii", "Be brief. Answer in one sentence."),
                Arguments.of("NUL chars", "\0\0\0\0\0\0\0\0\0"),
                Arguments.of("Latin-1", "Caf\u00e9 \u00fcber \u00ff\u00a1Hola!"),
                Arguments.of("CJK", "\u4e2d\u6587\u6587\u672c\u4e2d\u6587"),
                Arguments.of("surrogate pairs", "\uD83D\uDE00\uD83D\uDE80\uD83C\uDF0D ok"),
                Arguments.of("lone surrogates", "a\uD83Db\uDE00c\uD800"),
                Arguments.of("char 0xFFFF", "\uffff\uffff\uffffx\uffff"),
                Arguments.of("long", "system prompt ".repeat(400) + "\u4e2d\uD83D\uDE00"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("texts")
    void feedingTheCharsGivesThePrefixKey(String label, String text) {
        for (int[] s : SETTINGS) {
            for (int length = 0; length <= Math.min(text.length(), 64); length++) {
                check(text.substring(0, length), s[0], s[1]);
            }
            check(text, s[0], s[1]);
        }
    }

    @Test
    void randomTextsSplitAnyWayGiveThePrefixKey() {
        Random random = new Random(20_26_11_27L);
        String alphabet = "abcXYZ 09\0\u007f\u0080\u00e9\u00ff\u0100\u4e2d\uD83D\uDE00\uD800\uDFFF\uffff";
        for (int round = 0; round < 3000; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(round < 2000 ? 40 : 700);
            boolean latin1 = random.nextBoolean();
            for (int i = 0; i < length; i++) {
                char c = latin1 ? (char) random.nextInt(256) : random.nextInt(4) == 0
                        ? (char) random.nextInt(0x10000) : alphabet.charAt(random.nextInt(alphabet.length()));
                text.append(c);
            }
            int[] s = SETTINGS[random.nextInt(SETTINGS.length)];
            int blockChars = random.nextInt(3) == 0 ? 1 + random.nextInt(20) : s[0];
            int maxBlocks = random.nextInt(3) == 0 ? 1 + random.nextInt(50) : s[1];
            check(text.toString(), blockChars, maxBlocks);
            if (latin1) {
                assertEquals(PrefixKey.of(text.toString(), blockChars, maxBlocks),
                        splitLatin1(text.toString(), blockChars, maxBlocks, random),
                        "latin-1 runs of \"" + text + "\" with " + blockChars + "x" + maxBlocks);
            }
        }
    }

    /** Mixed single chars and bulk Latin-1 runs of random lengths, from random places in a larger array. */
    private static OptionalLong splitLatin1(String text, int blockChars, int maxBlocks, Random random) {
        byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        PrefixHasher hasher = new PrefixHasher(blockChars, maxBlocks);
        int at = 0;
        while (at < bytes.length) {
            if (random.nextInt(4) == 0) {
                hasher.add(text.charAt(at++));
                continue;
            }
            int count = random.nextInt(Math.min(bytes.length - at, 40) + 1);
            int pad = random.nextInt(9);
            byte[] framed = new byte[pad + count + random.nextInt(9)];
            System.arraycopy(bytes, at, framed, pad, count);
            hasher.addLatin1(framed, pad, count);
            at += count;
        }
        return hasher.key();
    }

    private static void check(String text, int blockChars, int maxBlocks) {
        String what = "\"" + text + "\" with " + blockChars + "x" + maxBlocks;
        OptionalLong expected = reference(text, blockChars, maxBlocks);
        assertEquals(expected, PrefixKey.of(text, blockChars, maxBlocks), what);
        PrefixHasher hasher = new PrefixHasher(blockChars, maxBlocks);
        long limit = blockChars <= 0 || maxBlocks <= 0 ? 0 : (long) blockChars * maxBlocks;
        for (int i = 0; i < text.length(); i++) {
            assertEquals(i >= limit, hasher.full(), what);
            assertEquals(Math.max(0, limit - i), hasher.room(), what);
            hasher.add(text.charAt(i)); // past the limit: ignored
        }
        assertEquals(expected, hasher.key(), what);
        assertEquals(Math.min(text.length(), limit), hasher.length(), what);
        boolean latin1 = text.chars().allMatch(c -> c <= 0xFF);
        if (latin1) {
            PrefixHasher bulk = new PrefixHasher(blockChars, maxBlocks);
            bulk.addLatin1(text.getBytes(StandardCharsets.ISO_8859_1), 0, text.length());
            assertEquals(expected, bulk.key(), "in one run: " + what);
        }
    }

    @Test
    void aChangeOfAnyOneCharChangesTheKey() {
        String text = "The quick brown fox jumps over the lazy dog, \u00e9\u4e2d\uD83D\uDE00.!";
        assertEquals(51, text.length());
        for (int[] s : new int[][] {{1, 4096}, {3, 17}, {17, 3}, {text.length(), 1}}) {
            OptionalLong key = PrefixKey.of(text, s[0], s[1]);
            for (int i = 0; i < text.length(); i++) {
                for (char other : new char[] {'\0', 'a', (char) (text.charAt(i) ^ 1), (char) (text.charAt(i) ^ 0x8000),
                        '\uffff'}) {
                    if (other != text.charAt(i)) {
                        String changed = text.substring(0, i) + other + text.substring(i + 1);
                        assertNotEquals(key, PrefixKey.of(changed, s[0], s[1]), "char " + i + " to " + (int) other);
                    }
                }
                String swapped = i + 1 < text.length() && text.charAt(i) != text.charAt(i + 1)
                        ? text.substring(0, i) + text.charAt(i + 1) + text.charAt(i) + text.substring(i + 2) : null;
                if (swapped != null) {
                    assertNotEquals(key, PrefixKey.of(swapped, s[0], s[1]), "swap at " + i);
                }
            }
        }
    }

    @Test
    void prefixesAndTextsPaddedWithNulsGetDistinctKeys() {
        // a partial group is zero-filled: the length keeps "ab" apart from "ab\0\0"
        Map<OptionalLong, String> seen = new HashMap<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            text.append(i % 3 == 0 ? '\0' : (char) ('a' + i % 26));
            String s = text.toString();
            String before = seen.put(PrefixKey.of(s, 1, 4096), s);
            assertEquals(null, before, "same key for lengths " + s.length() + " and "
                    + (before == null ? 0 : before.length()));
        }
        assertNotEquals(PrefixKey.of("ab", 1, 4), PrefixKey.of("ab\0\0", 1, 4));
    }

    @Test
    void distinctRandomPromptsGetDistinctKeys() {
        Random random = new Random(7);
        Set<Long> keys = new HashSet<>();
        Set<String> texts = new HashSet<>();
        String shared = "You are a helpful assistant. ".repeat(20);
        for (int i = 0; i < 100_000; i++) {
            String text = shared + Long.toString(random.nextLong(), 36);
            if (texts.add(text)) {
                keys.add(PrefixKey.of(text, 1, 4096).orElseThrow());
            }
        }
        assertEquals(texts.size(), keys.size());
    }

    @Test
    void withoutAWholeBlockOrWithAffinityOffThereIsNoKey() {
        PrefixHasher hasher = new PrefixHasher(4, 2);
        for (char c : "abc".toCharArray()) {
            hasher.add(c);
        }
        assertFalse(hasher.key().isPresent());
        hasher.add('d');
        assertTrue(hasher.key().isPresent());
        for (int[] off : new int[][] {{0, 2}, {4, 0}, {-4, 2}, {4, -1}}) {
            PrefixHasher none = new PrefixHasher(off[0], off[1]);
            none.addLatin1("abcdefgh".getBytes(StandardCharsets.US_ASCII), 0, 8);
            none.add('x');
            assertTrue(none.full());
            assertEquals(0, none.room());
            assertEquals(OptionalLong.empty(), none.key());
        }
    }

    @Test
    void hugeSettingsDoNotOverflow() {
        PrefixHasher hasher = new PrefixHasher(Integer.MAX_VALUE, Integer.MAX_VALUE);
        assertEquals(Integer.MAX_VALUE, hasher.room());
        hasher.addLatin1("abcdefgh".getBytes(StandardCharsets.US_ASCII), 0, 8);
        assertFalse(hasher.full());
        assertEquals(OptionalLong.empty(), hasher.key());
        assertEquals(PrefixKey.of("abcdefgh", 8, Integer.MAX_VALUE),
                reference("abcdefgh", 8, Integer.MAX_VALUE));
    }
}
