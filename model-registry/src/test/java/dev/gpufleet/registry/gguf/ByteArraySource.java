package dev.gpufleet.registry.gguf;

import dev.gpufleet.registry.analysis.ByteSource;
import java.io.EOFException;
import java.util.Arrays;

/** An in-memory file; counts the bytes handed out so tests can check that only the header is read. */
final class ByteArraySource implements ByteSource {
    private final byte[] bytes;
    private final int length;
    long bytesRead;
    int reads;

    ByteArraySource(byte[] bytes) {
        this(bytes, bytes.length);
    }

    /** The first {@code length} bytes: a truncated copy without copying. */
    ByteArraySource(byte[] bytes, int length) {
        this.bytes = bytes;
        this.length = length;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public byte[] read(long offset, int n) throws EOFException {
        if (offset < 0 || n < 0 || offset + n > length) {
            throw new EOFException("read " + n + " at " + offset + " beyond " + length);
        }
        bytesRead += n;
        reads++;
        return Arrays.copyOfRange(bytes, (int) offset, (int) offset + n);
    }

    @Override
    public String describe() {
        return "memory";
    }
}
