package dev.gpufleet.registry.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileMatcherTest {
    static List<HubFile> listing(String resource) throws IOException {
        try (InputStream in = FileMatcherTest.class.getResourceAsStream("/hub/" + resource)) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<HubFile> files = new ArrayList<>();
            root.path("siblings").forEach(s -> files.add(new HubFile(s.path("rfilename").asText(),
                    s.path("size").asLong())));
            return files;
        }
    }

    static final List<HubFile> VISION = List.of(
            new HubFile("Qwen2-VL-2B-Instruct-Q4_K_M.gguf", 986L),
            new HubFile("mmproj-Qwen2-VL-2B-Instruct-f16.gguf", 1330L),
            new HubFile("mmproj-Qwen2-VL-2B-Instruct-f32.gguf", 2650L));

    @ParameterizedTest(name = "{1} in {0} -> {2}")
    @CsvSource({
            "hf-qwen2.5-0.5b-instruct-gguf.json,  *q4_k_m.gguf,     qwen2.5-0.5b-instruct-q4_k_m.gguf",
            "hf-qwen2.5-0.5b-instruct-gguf.json,  *Q4_K_M*.gguf,    qwen2.5-0.5b-instruct-q4_k_m.gguf",
            "hf-qwen2.5-0.5b-instruct-gguf.json,  qwen2.5-0.5b-instruct-q8_0.gguf, qwen2.5-0.5b-instruct-q8_0.gguf",
            "hf-qwen2.5-0.5b-instruct-gguf.json,  *q4_?.gguf,       qwen2.5-0.5b-instruct-q4_0.gguf",
            "hf-qwen2.5-0.5b-instruct-gguf.json,  *.gguf,           qwen2.5-0.5b-instruct-fp16.gguf",
            "hf-qwen2.5-0.5b-instruct-gguf.json,  *q[56]_k_m.gguf,  qwen2.5-0.5b-instruct-q5_k_m.gguf",
            "hf-qwen2.5-7b-instruct-gguf-split.json, *q8_0*.gguf,   qwen2.5-7b-instruct-q8_0-00001-of-00003.gguf",
            "hf-qwen2.5-7b-instruct-gguf-split.json, *Q4_K_M*.gguf, qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf",
    })
    void picksTheFileGpuStackWould(String fixture, String pattern, String expected) throws IOException {
        FileResolution resolution = FileMatcher.resolve(pattern, listing(fixture));
        assertTrue(resolution.found(), resolution.problem());
        assertEquals(expected, resolution.file().path());
        assertNull(resolution.problem());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "*.gguf,         Qwen2-VL-2B-Instruct-Q4_K_M.gguf",
            "*mmproj*.gguf,  mmproj-Qwen2-VL-2B-Instruct-f16.gguf",
            "*f32.gguf,      mmproj-Qwen2-VL-2B-Instruct-f32.gguf",
    })
    void aModelFileBeatsItsProjectorUnlessOnlyProjectorsMatch(String pattern, String expected) {
        assertEquals(expected, FileMatcher.resolve(pattern, VISION).file().path());
    }

    @ParameterizedTest
    @CsvSource({"*q4_k_xl.gguf", "model.safetensors", "' '"})
    void noMatchNamesThePatternAndSomeFiles(String pattern) throws IOException {
        FileResolution resolution = FileMatcher.resolve(pattern, listing("hf-qwen2.5-0.5b-instruct-gguf.json"));
        assertFalse(resolution.found());
        if (!pattern.isBlank()) {
            assertTrue(resolution.problem().contains("'" + pattern + "'"), resolution.problem());
            assertTrue(resolution.problem().contains("qwen2.5-0.5b-instruct-fp16.gguf"), resolution.problem());
            assertTrue(resolution.problem().contains("and 1 more"), resolution.problem());
        } else {
            assertEquals("no file name or pattern given", resolution.problem());
        }
    }

    @ParameterizedTest
    @CsvSource({"(.*)", "a+b", "[unclosed", "\\d"})
    void regexCharactersInAPatternAreLiteral(String pattern) {
        FileResolution resolution = FileMatcher.resolve(pattern, List.of(new HubFile(pattern, 1)));
        assertTrue(resolution.found(), pattern);
        assertFalse(FileMatcher.resolve(pattern, List.of(new HubFile("x" + pattern + "y", 1))).found());
    }
}
