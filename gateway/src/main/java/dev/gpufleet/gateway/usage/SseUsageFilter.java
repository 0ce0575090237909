package dev.gpufleet.gateway.usage;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads an OpenAI SSE stream line by line as it passes: remembers the last {@code usage} a chunk carried and
 * counts the chunks with content. With {@code swallowUsageChunk} (the gateway, not the client, asked for usage)
 * it drops the usage-only event ({@code choices} empty) so the client sees the stream it asked for. A line split
 * across network buffers is held until its end arrives.
 */
final class SseUsageFilter {
    private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private final boolean swallowUsageChunk;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private boolean dropNextBlank;
    private TokenUsage usage;
    private long contentChunks;

    SseUsageFilter(boolean swallowUsageChunk) {
        this.swallowUsageChunk = swallowUsageChunk;
    }

    /**
     * What of {@code chunk} goes to the client now (all of it unless a usage chunk is swallowed): {@code chunk}
     * itself when nothing of it is dropped or held back, as with most chunks (whole events), so the usual chunk is
     * not copied.
     */
    byte[] accept(byte[] chunk) {
        byte[] text = chunk;
        if (partial.size() > 0) {
            partial.write(chunk, 0, chunk.length);
            text = partial.toByteArray();
            partial.reset();
        }
        // made at the first line dropped: the lines kept so far, then each kept line after
        ByteArrayOutputStream out = null;
        int start = 0;
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '\n') {
                boolean keep = line(text, start, i);
                if (swallowUsageChunk && !keep && out == null) {
                    out = new ByteArrayOutputStream(text.length);
                    out.write(text, 0, start);
                } else if (out != null && keep) {
                    out.write(text, start, i + 1 - start);
                }
                start = i + 1;
            }
        }
        if (start < text.length) {
            partial.write(text, start, text.length - start);
        }
        if (!swallowUsageChunk) {
            // observing only: everything passes unchanged, as it came
            return chunk;
        }
        if (out != null) {
            return out.toByteArray();
        }
        // every whole line kept; a last line without its newline waits (it may be the usage event)
        return start == text.length ? text : Arrays.copyOf(text, start);
    }

    /** At the end of the stream: what was held back (a last line without its newline). */
    byte[] rest() {
        byte[] rest = swallowUsageChunk ? partial.toByteArray() : new byte[0];
        partial.reset();
        return rest;
    }

    /** Whether the line [start, end) (end at its '\n') goes to the client. */
    private boolean line(byte[] text, int start, int end) {
        int stop = end > start && text[end - 1] == '\r' ? end - 1 : end;
        if (stop == start) {
            boolean keep = !dropNextBlank;
            dropNextBlank = false;
            return keep;
        }
        if (!startsWith(text, start, stop, DATA)) {
            return true;
        }
        int data = start + DATA.length;
        while (data < stop && text[data] == ' ') {
            data++;
        }
        if (startsWith(text, data, stop, DONE)) {
            return true;
        }
        if (indexOf(text, data, stop, USAGE) < 0) {
            contentChunks++;
            return true;
        }
        UsageScanner scanner = UsageScanner.of(text, data, stop - data);
        TokenUsage found = scanner.usage();
        if (found != null) {
            usage = found;
        }
        if (found != null && scanner.choices() == 0) {
            if (swallowUsageChunk) {
                dropNextBlank = true;
                return false;
            }
            return true;
        }
        contentChunks++;
        return true;
    }

    TokenUsage usage() {
        return usage;
    }

    long contentChunks() {
        return contentChunks;
    }

    private static boolean startsWith(byte[] text, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (text[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] text, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (text[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
