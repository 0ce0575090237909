package dev.gpufleet.worker.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class CommandWordsTest {
    static Stream<Arguments> lines() {
        return Stream.of(
                arguments("llama-box", List.of("llama-box")),
                arguments("  java   -jar  /x/s.jar ", List.of("java", "-jar", "/x/s.jar")),
                arguments("java -jar \"/my models/s.jar\"", List.of("java", "-jar", "/my models/s.jar")),
                arguments("run 'it''s' \"\"", List.of("run", "its", "")),
                arguments("", List.of()));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("lines")
    void splitsLikeAShell(String line, List<String> words) {
        assertEquals(words, CommandWords.split(line));
    }
}
