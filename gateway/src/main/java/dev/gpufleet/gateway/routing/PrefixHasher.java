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
    private static final int LANES = 4;

    private final int blockChars;
    /** blockChars x maxBlocks: chars after this are ignored. */
    private final long limit;
    private long nextBoundary;
    private long length;
    private final long[] lanes = seeds();
    /** The chars of the group in progress, the first in the lowest 16 bits. */
    private long group;
    /** {@link #lanes}, {@link #group} and {@link #length} when the last whole block completed. */
    private final long[] blockLanes = new long[LANES];
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
                long h0 = lanes[0];
                long h1 = lanes[1];
                long h2 = lanes[2];
                long h3 = lanes[3];
                int roundsStart = i;
                for (; i < roundsEnd; i += 16) {
                    long first = JsonBytes.word(bytes, i);
                    long second = JsonBytes.word(bytes, i + 8);
                    h0 = step(h0, spread(first & 0xFFFFFFFFL));
                    h1 = step(h1, spread(first >>> 32));
                    h2 = step(h2, spread(second & 0xFFFFFFFFL));
                    h3 = step(h3, spread(second >>> 32));
                }
                lanes[0] = h0;
                lanes[1] = h1;
                lanes[2] = h2;
                lanes[3] = h3;
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
        long h0 = blockLanes[0];
        long h1 = blockLanes[1];
        long h2 = blockLanes[2];
        long h3 = blockLanes[3];
        if ((blockLength & 3) != 0) {
            switch ((int) ((blockLength >>> 2) & 3)) {
                case 0 -> h0 = step(h0, blockGroup);
                case 1 -> h1 = step(h1, blockGroup);
                case 2 -> h2 = step(h2, blockGroup);
                default -> h3 = step(h3, blockGroup);
            }
        }
        long folded = step(step(step(h0, h1), h2), h3);
        return OptionalLong.of(InstanceChoice.mix(step(folded, blockLength)));
    }

    private void put(char c) {
        group |= (long) c << ((length & 3) << 4);
        length++;
        if ((length & 3) == 0) {
            int lane = (int) (((length - 1) >>> 2) & 3);
            lanes[lane] = step(lanes[lane], group);
            group = 0;
        }
    }

    private void blockCompleted() {
        System.arraycopy(lanes, 0, blockLanes, 0, LANES);
        blockGroup = group;
        blockLength = length;
        nextBoundary += blockChars;
    }

    private static long[] seeds() {
        long[] seeds = new long[LANES];
        for (int lane = 0; lane < LANES; lane++) {
            seeds[lane] = SEED * (2L * lane + 1);
        }
        return seeds;
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
