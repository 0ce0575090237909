package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gpufleet.registry.gguf.MmprojChoice.DirectoryEntry;
import dev.gpufleet.registry.gguf.MmprojChoice.Mmproj;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MmprojChoiceTest {

    /** "name:size,name:size" */
    private static List<DirectoryEntry> listing(String entries) {
        return entries.isEmpty() ? List.of() : Arrays.stream(entries.split(",")).map(e -> {
            String[] p = e.split(":");
            return new DirectoryEntry(p[0], Long.parseLong(p[1]));
        }).collect(Collectors.toList());
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("none beside", "model.gguf:100", "", null),
                Arguments.of("only one", "model.gguf:100,mmproj-model.gguf:20", "",
                        new Mmproj("mmproj-model.gguf", 20, false)),
                Arguments.of("f32 before f16", "model.gguf:100,mmproj-model-f16.gguf:20,mmproj-model-f32.gguf:40", "",
                        new Mmproj("mmproj-model-f32.gguf", 40, false)),
                Arguments.of("f16 before others", "mmproj-Q8_0.gguf:10,mmproj-F16.gguf:20", "",
                        new Mmproj("mmproj-F16.gguf", 20, false)),
                Arguments.of("others by name descending", "a-mmproj-q4.gguf:5,b-mmproj-q8.gguf:9", "",
                        new Mmproj("b-mmproj-q8.gguf", 9, false)),
                Arguments.of("not gguf", "mmproj-f32.bin:5,model.gguf:100", "", null),
                Arguments.of("--mmproj overrides", "mmproj-f32.gguf:40,my-proj.gguf:7", "--mmproj my-proj.gguf",
                        new Mmproj("my-proj.gguf", 7, true)),
                Arguments.of("--mmproj= overrides", "mmproj-f32.gguf:40,mmproj-f16.gguf:20",
                        "-ngl 99|--mmproj=mmproj-f16.gguf", new Mmproj("mmproj-f16.gguf", 20, true)),
                Arguments.of("the last --mmproj wins", "mmproj-f32.gguf:40",
                        "--mmproj|a.gguf|--mmproj|b.gguf", new Mmproj("b.gguf", 0, true)),
                Arguments.of("--mmproj without value is ignored", "mmproj-f32.gguf:40", "--mmproj",
                        new Mmproj("mmproj-f32.gguf", 40, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void picksTheProjector(String name, String beside, String parameters, Mmproj expected) {
        List<String> params = parameters.isEmpty() ? List.of()
                : Arrays.stream(parameters.split("\\|")).flatMap(p -> p.startsWith("--mmproj ")
                        ? Stream.of(p) : Arrays.stream(p.split(" "))).collect(Collectors.toList());
        assertEquals(Optional.ofNullable(expected), MmprojChoice.choose(listing(beside), params));
    }
}
