package dev.gpufleet.gateway.json;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonBytesTest {
    @Test
    void theWordAtATimeSkipFindsTheSameQuoteOrBackslashAsAByteLoop() {
        // every byte value in every lane of the eight-byte word, before and after a quote or a backslash, at every
        // offset and end: the skip must stop exactly where a byte-by-byte loop stops
        java.util.Random random = new java.util.Random(8);
        for (int value = 0; value < 256; value++) {
            for (int lane = 0; lane < 20; lane++) {
                byte[] bytes = new byte[20];
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) ('a' + random.nextInt(26));
                }
                bytes[lane] = (byte) value;
                if (random.nextBoolean()) {
                    bytes[random.nextInt(bytes.length)] = (byte) (random.nextBoolean() ? '"' : '\\');
                }
                for (int from = 0; from < 4; from++) {
                    for (int end = from; end <= bytes.length; end += 3) {
                        int expected = from;
                        while (expected < end && bytes[expected] != '"' && bytes[expected] != '\\') {
                            expected++;
                        }
                        assertEquals(expected, JsonBytes.quoteOrBackslash(bytes, from, end),
                                "value " + value + " lane " + lane + " from " + from + " end " + end);
                    }
                }
            }
        }
    }
}
