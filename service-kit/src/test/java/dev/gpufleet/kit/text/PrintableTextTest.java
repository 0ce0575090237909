package dev.gpufleet.kit.text;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class PrintableTextTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a NUL from a log tail", "out of memory\u0000\u0000 at 0x7f", "out of memory at 0x7f"),
                Arguments.of("colours", "\u001b[1;31mERROR\u001b[0m model not found", "ERROR model not found"),
                Arguments.of("a cursor move with an intermediate byte", "a\u001b[2 qb", "ab"),
                Arguments.of("a window title, BEL-terminated", "\u001b]0;llama-server\u0007loading", "loading"),
                Arguments.of("a window title, ST-terminated", "\u001b]2;t\u001b\\ok", "ok"),
                Arguments.of("an unterminated title stops at the line's end", "\u001b]0;t\nnext", "\nnext"),
                Arguments.of("a two-character escape", "a\u001bMb", "ab"),
                Arguments.of("ESC at the very end", "done\u001b", "done"),
                Arguments.of("CR LF and a lone CR become line feeds", "10%\r50%\r\n100%", "10%\n50%\n100%"),
                Arguments.of("tabs and line feeds stay", "a\tb\nc", "a\tb\nc"),
                Arguments.of("other C0 controls, DEL and C1 go", "a\u0001\u0008b\u007fc\u0085d\u009be", "abcde"),
                Arguments.of("an unpaired surrogate is replaced", "x\uD800y\uDC00z", "x\uFFFDy\uFFFDz"),
                Arguments.of("a surrogate pair stays", "smile \uD83D\uDE00 ok\u0000", "smile \uD83D\uDE00 ok"),
                Arguments.of("non-ASCII text stays", "模型加载失败 — ошибка\u0000", "模型加载失败 — ошибка"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cleans(String why, String text, String expected) {
        assertEquals(expected, PrintableText.clean(text));
    }

    @Test
    void cleanTextIsReturnedAsItIs() {
        String text = "backend exited with code 3; last log lines:\nstand-in: fatal\t(oom) \uD83D\uDE00";
        assertSame(text, PrintableText.clean(text));
        assertNull(PrintableText.clean(null));
        assertEquals("", PrintableText.clean(""));
    }
}
