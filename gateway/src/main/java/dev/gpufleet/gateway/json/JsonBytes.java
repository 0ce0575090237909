package dev.gpufleet.gateway.json;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Eight bytes of JSON text at a time, for the byte scanners of requests and answers: most of either is string
 * text, and a byte-at-a-time loop over it cost as much as a JSON parser's whole read.
 */
public final class JsonBytes {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private JsonBytes() {
    }

    /** The eight bytes from {@code index} on, the first in the lowest byte of the word. */
    public static long word(byte[] bytes, int index) {
        return (long) LONGS.get(bytes, index);
    }

    /**
     * The high bit of each byte of {@code word} that is a quote or a backslash; exact for the lowest such byte (the
     * usual "has zero byte" trick may also flag bytes above it).
     */
    public static long quotesAndBackslashes(long word) {
        long quote = word ^ 0x2222222222222222L;
        long backslash = word ^ 0x5C5C5C5C5C5C5C5CL;
        return ((quote - 0x0101010101010101L) & ~quote | (backslash - 0x0101010101010101L) & ~backslash)
                & 0x8080808080808080L;
    }

    /** The index of the first quote or backslash from {@code from} on; {@code end} if there is none. */
    public static int quoteOrBackslash(byte[] bytes, int from, int end) {
        int i = from;
        while (i <= end - 8) {
            long found = quotesAndBackslashes(word(bytes, i));
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
            i += 8;
        }
        while (i < end && bytes[i] != '"' && bytes[i] != '\\') {
            i++;
        }
        return i;
    }
}
