package dev.gpufleet.gateway.routing;

import dev.gpufleet.gateway.json.JsonBytes;

import java.util.OptionalLong;

/**
 * The {@link PrefixKey} of a text fed to it char by char (UTF-16 code units, in order), without keeping the text:
 * the request scanner hashes the prompt as it decodes it instead of building a String to hash afterwards.
 *
 * <p>The hash packs 4 chars (16 bits each, grouped by their index in the text, so how the text was split into calls
 * does not matter) into one long and does one multiply-rotate step per group, in four lanes: group g goes to lane
 * g mod 4, so the four chains of multiplies run side by side instead of one after the other (one chain was the
 * scan's largest cost). A group left partial at a block boundary goes to its lane when the key is made; then the
 * lanes and the text's length are folded together and {@link InstanceChoice#mix} finalizes. Each step is a bijection
 * of a lane's state for a given group, and each fold a bijection in the lane folded in, so two texts of the same
 * length that differ in one group never share a key. The lanes at the last whole block are remembered as each
 * block completes.
 */
public final class PrefixHasher {
    private static final long SEED = 0x9e3779b97f4a7c15L;
    private static final long MULTIPLIER = 0xff51afd7ed558ccdL;

    private final int blockChars;
    /** blockChars x maxBlocks: chars after this are ignored. */
    private final long limit;
    private long nextBoundary;
    private long length;
    private long h0 = SEED;
    private long h1 = SEED * 3;
    private long h2 = SEED * 5;
    private long h3 = SEED * 7;
    /** The chars of the group in progress, the first in the lowest 16 bits. */
    private long group;
    /** The lanes, {@link #group} and {@link #length} when the last whole block completed. */
    private long b0;
    private long b1;
    private long b2;
    private long b3;
    private long blockGroup;
    private long blockLength;

    public PrefixHasher(int blockChars, int maxBlocks) {
        this.blockChars = blockChars;
        this.limit = blockChars <= 0 || maxBlocks <= 0 ? 0 : (long) blockChars * maxBlocks;
        this.nextBoundary = blockChars;
    }

    /** How many more chars count toward the key (at most {@link Integer#MAX_VALUE}). */
    public int room() {
        return (int) Math.min(Integer.MAX_VALUE, limit - length);
    }

    /** Whether every char the key can depend on has been seen. */
    public boolean full() {
        return length >= limit;
    }

    /** The chars seen so far that count (at most blockChars x maxBlocks). */
    public long length() {
        return length;
    }

    public void add(char c) {
        if (length >= limit) {
            return;
        }
        put(c);
        if (length == nextBoundary) {
            blockCompleted();
        }
    }

    /** Adds {@code count} bytes from {@code from}, each one char (ISO 8859-1; plain ASCII in practice). */
    public void addLatin1(byte[] bytes, int from, int count) {
        int i = from;
        int stop = from + (int) Math.min(count, limit - length);
        while (i < stop) {
            int chunkEnd = (int) Math.min(stop, i + (nextBoundary - length));
            // char by char up to the start of a group of lane 0, then 16 bytes (a group per lane) a round
            while (i < chunkEnd && (length & 15) != 0) {
                put((char) (bytes[i++] & 0xFF));
            }
            int roundsEnd = i + ((chunkEnd - i) & ~15);
            if (i < roundsEnd) {
                long l0 = h0;
                long l1 = h1;
                long l2 = h2;
                long l3 = h3;
                int roundsStart = i;
                for (; i < roundsEnd; i += 16) {
                    long first = JsonBytes.word(bytes, i);
                    long second = JsonBytes.word(bytes, i + 8);
                    l0 = step(l0, spread(first & 0xFFFFFFFFL));
                    l1 = step(l1, spread(first >>> 32));
                    l2 = step(l2, spread(second & 0xFFFFFFFFL));
                    l3 = step(l3, spread(second >>> 32));
                }
                h0 = l0;
                h1 = l1;
                h2 = l2;
                h3 = l3;
                length += roundsEnd - roundsStart;
            }
            while (i < chunkEnd) {
                put((char) (bytes[i++] & 0xFF));
            }
            if (length == nextBoundary) {
                blockCompleted();
            }
        }
    }

    /** The key of the whole blocks seen; empty before the first one completes. */
    public OptionalLong key() {
        if (blockLength == 0) {
            return OptionalLong.empty();
        }
        long l0 = b0;
        long l1 = b1;
        long l2 = b2;
        long l3 = b3;
        if ((blockLength & 3) != 0) {
            switch ((int) ((blockLength >>> 2) & 3)) {
                case 0 -> l0 = step(l0, blockGroup);
                case 1 -> l1 = step(l1, blockGroup);
                case 2 -> l2 = step(l2, blockGroup);
                default -> l3 = step(l3, blockGroup);
            }
        }
        long folded = step(step(step(l0, l1), l2), l3);
        return OptionalLong.of(InstanceChoice.mix(step(folded, blockLength)));
    }

    private void put(char c) {
        group |= (long) c << ((length & 3) << 4);
        length++;
        if ((length & 3) == 0) {
            switch ((int) (((length - 1) >>> 2) & 3)) {
                case 0 -> h0 = step(h0, group);
                case 1 -> h1 = step(h1, group);
                case 2 -> h2 = step(h2, group);
                default -> h3 = step(h3, group);
            }
            group = 0;
        }
    }

    private void blockCompleted() {
        b0 = h0;
        b1 = h1;
        b2 = h2;
        b3 = h3;
        blockGroup = group;
        blockLength = length;
        nextBoundary += blockChars;
    }

    private static long step(long hash, long group) {
        return Long.rotateLeft((hash ^ group) * MULTIPLIER, 29);
    }

    /** Four bytes (the low 32 bits) to four 16-bit lanes, the lowest byte in the lowest lane. */
    private static long spread(long fourBytes) {
        long v = (fourBytes | (fourBytes << 16)) & 0x0000FFFF0000FFFFL;
        return (v | (v << 8)) & 0x00FF00FF00FF00FFL;
    }
}
