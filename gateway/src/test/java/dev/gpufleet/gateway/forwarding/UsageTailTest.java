package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UsageTailTest {
    static final String USAGE = "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":34,\"total_tokens\":46}";

    static Stream<Arguments> answers() {
        String big = "x".repeat(20_000);
        return Stream.of(
                Arguments.of("a JSON answer", List.of("{\"id\":\"c\",\"choices\":[]," + USAGE + "}"), 12L, 34L),
                Arguments.of("split across chunks anywhere", List.of("{\"choices\":[],\"us", "age\":{\"prompt_t",
                        "okens\":12,\"completion_tokens\":34}}"), 12L, 34L),
                Arguments.of("embeddings: prompt tokens only",
                        List.of("{\"data\":[]," + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}"), 3L, 0L),
                Arguments.of("the last event of a stream",
                        List.of("data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n",
                                "data: {\"choices\":[]," + USAGE + "}\n\n", "data: [DONE]\n\n"), 12L, 34L),
                Arguments.of("a long answer: only its end is kept", List.of("{\"text\":\"" + big + "\",", USAGE + "}"),
                        12L, 34L),
                Arguments.of("a word usage inside content is not it",
                        List.of("{\"content\":\"\\\"usage\\\" is a word\"," + USAGE + "}"), 12L, 34L),
                Arguments.of("the last of two usages wins", List.of("{\"usage\":{\"prompt_tokens\":1},"
                        + USAGE + "}"), 12L, 34L),
                Arguments.of("no usage", List.of("{\"choices\":[]}"), null, null),
                Arguments.of("usage null", List.of("data: {\"usage\":null}\n\n"), null, null),
                Arguments.of("usage cut off", List.of("{\"usage\":{\"prompt_tokens\":12,"), null, null),
                Arguments.of("usage pushed out of the tail by a long end",
                        List.of("{" + USAGE + ",\"text\":\"" + big + "\"}"), null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void readsTheLastUsage(String label, List<String> chunks, Long prompt, Long completion) {
        UsageTail tail = new UsageTail();
        chunks.forEach(chunk -> tail.add(chunk.getBytes(StandardCharsets.UTF_8)));
        assertEquals(prompt == null ? Optional.empty() : Optional.of(new UsageTail.Usage(prompt, completion)),
                tail.usage());
    }
}
