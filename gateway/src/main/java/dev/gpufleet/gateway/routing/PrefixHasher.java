package dev.gpufleet.gateway.routing;

import dev.gpufleet.gateway.json.JsonBytes;

import java.util.OptionalLong;

/**
 * The {@link PrefixKey} of a text fed to it char by char (UTF-16 code units, in order), without keeping the text:
 * the request scanner hashes the prompt as it decodes it instead of building a String to hash afterwards.
 *
 * <p>The hash packs 4 chars (16 bits each, grouped by their index in the text, so how the text was split into calls
 * does not matter) into one long and does one multiply-rotate step per group; a group left partial at a block
 * boundary and the text's length are folded in when the key is made, then {@link InstanceChoice#mix} finalizes.
 * Each step is a bijection of the state for a given group, so two texts of the same length that differ in one group
 * never share a key. The state at the last whole block is remembered as each block completes.
 */
public final class PrefixHasher {
    private static final long SEED = 0x9e3779b97f4a7c15L;
    private static final long MULTIPLIER = 0xff51afd7ed558ccdL;

    private final int blockChars;
    /** blockChars x maxBlocks: chars after this are ignored. */
    private final long limit;
    private long nextBoundary;
    private long length;
    private long hash = SEED;
    /** The chars of the group in progress, the first in the lowest 16 bits. */
    private long group;
    /** {@link #hash}, {@link #group} and {@link #length} when the last whole block completed. */
    private long blockHash;
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
            while (i < chunkEnd && (length & 3) != 0) {
                put((char) (bytes[i++] & 0xFF));
            }
            long h = hash;
            int groupsStart = i;
            int groupsEnd = i + ((chunkEnd - i) & ~7);
            for (; i < groupsEnd; i += 8) {
                long word = JsonBytes.word(bytes, i);
                h = step(step(h, spread(word & 0xFFFFFFFFL)), spread(word >>> 32));
            }
            hash = h;
            length += groupsEnd - groupsStart;
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
        long h = blockHash;
        if ((blockLength & 3) != 0) {
            h = step(h, blockGroup);
        }
        return OptionalLong.of(InstanceChoice.mix(step(h, blockLength)));
    }

    private void put(char c) {
        group |= (long) c << ((length & 3) << 4);
        length++;
        if ((length & 3) == 0) {
            hash = step(hash, group);
            group = 0;
        }
    }

    private void blockCompleted() {
        blockHash = hash;
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
