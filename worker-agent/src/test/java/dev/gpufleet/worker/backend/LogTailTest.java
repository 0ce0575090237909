package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogTailTest {
    @TempDir
    Path dir;

    @Test
    void theLastTwentyLinesOfThisRunOnly() throws Exception {
        Path log = dir.resolve("a.log");
        Files.writeString(log, "earlier run: crashed\n");
        long offset = Files.size(log);
        Files.writeString(log, IntStream.rangeClosed(1, 25).mapToObj(i -> "line " + i)
                .collect(Collectors.joining("\n", "", "\n\n")), java.nio.file.StandardOpenOption.APPEND);

        String tail = LogTail.of(log, offset);

        assertEquals(IntStream.rangeClosed(6, 25).mapToObj(i -> "line " + i).collect(Collectors.joining("\n")),
                tail);
    }

    @Test
    void controlCharactersAndTerminalEscapesAreCleanedOut() throws Exception {
        Path log = dir.resolve("c.log");
        Files.write(log, ("\u001b[1;31merror:\u001b[0m cannot allocate\u0000\u0000 512 MiB\n"
                + "llama_model_load: done\u0007\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));

        assertEquals("error: cannot allocate 512 MiB\nllama_model_load: done", LogTail.of(log, 0));
    }

    @Test
    void nothingWrittenSaysSo() throws Exception {
        Path log = dir.resolve("b.log");
        Files.writeString(log, "earlier\n");

        assertEquals("(the backend wrote nothing to " + log + ")", LogTail.of(log, Files.size(log)));
        assertEquals("(cannot read " + dir.resolve("none.log") + ": " + dir.resolve("none.log")
                + " (No such file or directory))", LogTail.of(dir.resolve("none.log"), 0));
    }

    @Test
    void aCutFirstLineIsDroppedAndLongLinesAreShortened() {
        String longLine = "x".repeat(LogTail.MAX_LINE + 10);
        assertEquals(List.of("b", longLine.substring(0, LogTail.MAX_LINE) + "…"),
                LogTail.lastLines("tial a\r\nb\n" + longLine + "\n", true, 20));
        assertEquals(List.of("tial a", "b"), LogTail.lastLines("tial a\nb", false, 20));
    }
}
