package dev.gpufleet.worker.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogLinesTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} lines of [{1}]")
    @CsvSource(delimiter = '|', value = {
            "2|a\\nb\\nc\\n|b\\nc\\n",
            "2|a\\nb\\nc|b\\nc",
            "5|a\\nb\\n|a\\nb\\n",
            "1|a\\n\\n|\\n",
            "1|''|''",
            "3|only|only"})
    void lastLines(int lines, String text, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve("x.log"), unescape(text));
        LogLines.Tail tail = LogLines.last(file, lines);
        assertEquals(unescape(expected), tail.text());
        assertEquals(Files.size(file), tail.end());
    }

    @Test
    void lastLinesAcrossReadBlocks() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            text.append("line ").append(i).append('\n');
        }
        Path file = Files.writeString(dir.resolve("big.log"), text);
        assertEquals("line 3000\n", LogLines.last(file, 2000).text().lines().findFirst().get() + "\n");
        assertEquals(2000, LogLines.last(file, 2000).text().lines().count());
    }

    @Test
    void appendedTextIsCutAfterItsLastNewlineUntilTheWriterEnds() throws Exception {
        Path file = Files.writeString(dir.resolve("f.log"), "done\npart");
        assertEquals(new LogLines.Chunk("done\n", 5), LogLines.since(file, 0, false));
        assertEquals(new LogLines.Chunk("", 5), LogLines.since(file, 5, false));
        assertEquals(new LogLines.Chunk("part", 9), LogLines.since(file, 5, true));
        Files.writeString(file, "new\n");
        assertEquals(new LogLines.Chunk("new\n", 4), LogLines.since(file, 9, false), "truncated: from the start");
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {"null,100", "'',100", "1,1", "10000,10000", " 7 ,7"})
    void tailValues(String value, int expected) {
        assertEquals(expected, LogLines.parseTail(value));
    }

    private static String unescape(String text) {
        return text.replace("\\n", "\n");
    }
}
