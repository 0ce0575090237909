package dev.gpufleet.worker.api;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Reads the end of a backend's log: the last lines, and what was appended since an offset. */
public final class LogLines {
    public static final int DEFAULT_TAIL = 100;
    public static final int MAX_TAIL = 10_000;
    private static final int BLOCK = 8192;
    /** the most one read of appended text returns, so a fast writer cannot make one chunk huge */
    static final int MAX_CHUNK = 64 * 1024;

    private LogLines() {
    }

    /** The {@code tail} query parameter: absent = {@value #DEFAULT_TAIL}; else 1 to {@value #MAX_TAIL}. */
    public static int parseTail(String value) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_TAIL;
        }
        try {
            int tail = Integer.parseInt(value.trim());
            if (tail >= 1 && tail <= MAX_TAIL) {
                return tail;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("tail must be a whole number of lines from 1 to " + MAX_TAIL + ", got '"
                + value + "'");
    }

    /** The last lines and the file's length when they were read (where a follower goes on). */
    public record Tail(String text, long end) {
    }

    /** The last {@code lines} lines of the file, each ending in a newline (the last one too, if it has one). */
    public static Tail last(Path file, int lines) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long end = in.length();
            long start = end;
            int newlines = 0;
            byte[] block = new byte[BLOCK];
            // a final newline ends the last line; it does not start another one
            boolean skipFinal = true;
            search:
            while (start > 0) {
                int size = (int) Math.min(BLOCK, start);
                in.seek(start - size);
                in.readFully(block, 0, size);
                for (int i = size - 1; i >= 0; i--) {
                    if (block[i] == '\n') {
                        if (skipFinal && start - size + i == end - 1) {
                            continue;
                        }
                        if (++newlines == lines) {
                            start = start - size + i + 1;
                            break search;
                        }
                    }
                }
                start -= size;
                skipFinal = false;
            }
            byte[] text = new byte[(int) (end - start)];
            in.seek(start);
            in.readFully(text);
            return new Tail(new String(text, StandardCharsets.UTF_8), end);
        }
    }

    /** What was appended since {@code offset}, cut after its last newline unless {@code all}. */
    public record Chunk(String text, long next) {
    }

    public static Chunk since(Path file, long offset, boolean all) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long length = in.length();
            long from = length < offset ? 0 : offset; // truncated: start over
            int size = (int) Math.min(MAX_CHUNK, length - from);
            byte[] bytes = new byte[size];
            in.seek(from);
            in.readFully(bytes);
            int cut = size;
            if (!all && size == length - from) {
                cut = 0;
                for (int i = size - 1; i >= 0; i--) {
                    if (bytes[i] == '\n') {
                        cut = i + 1;
                        break;
                    }
                }
            }
            return new Chunk(new String(bytes, 0, cut, StandardCharsets.UTF_8), from + cut);
        }
    }
}
