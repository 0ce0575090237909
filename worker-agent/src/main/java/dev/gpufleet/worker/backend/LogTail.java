package dev.gpufleet.worker.backend;

import dev.gpufleet.kit.text.PrintableText;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The last lines a backend wrote, for the ERROR message that says why it failed; cleaned of control characters
 * and terminal escapes ({@link PrintableText}), which a log may hold and an event's text must not.
 */
public final class LogTail {
    public static final int LINES = 20;
    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_LINE = 400;

    private LogTail() {
    }

    /**
     * @param fromOffset where this run of the backend started writing; earlier runs' lines are not its reason
     * @return the last lines, or a note saying why there are none
     */
    public static String of(Path file, long fromOffset) {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(fromOffset, in.length() - MAX_BYTES);
            byte[] bytes = new byte[(int) Math.max(0, in.length() - start)];
            in.seek(start);
            in.readFully(bytes);
            String text = new String(bytes, StandardCharsets.UTF_8);
            boolean cut = start > fromOffset;
            List<String> lines = lastLines(text, cut, LINES);
            return lines.isEmpty() ? "(the backend wrote nothing to " + file + ")"
                    : PrintableText.clean(String.join("\n", lines));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** @param firstLineCut whether the text starts mid-line (that partial line is dropped) */
    static List<String> lastLines(String text, boolean firstLineCut, int max) {
        List<String> lines = new ArrayList<>(List.of(text.split("\\r?\\n", -1)));
        if (firstLineCut && !lines.isEmpty()) {
            lines.remove(0);
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
            lines.remove(lines.size() - 1);
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - max), lines.size());
        List<String> shortened = new ArrayList<>(last.size());
        for (String line : last) {
            shortened.add(line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line);
        }
        return shortened;
    }
}
