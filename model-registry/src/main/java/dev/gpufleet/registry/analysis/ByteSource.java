package dev.gpufleet.registry.analysis;

import java.io.IOException;

/**
 * Random access to a model file's bytes: a local file, or a hub file read with HTTP Range requests. Parsers read
 * only what they need (the header), never the weights.
 */
public interface ByteSource {
    /** Total size in bytes. */
    long size() throws IOException;

    /**
     * Exactly {@code length} bytes at {@code offset}; fails (never returns fewer) when the source ends before, so a
     * truncated file is an error the caller can name.
     */
    byte[] read(long offset, int length) throws IOException;

    /** Where the bytes come from, for messages (a path or a URL without credentials). */
    String describe();
}
