package dev.gpufleet.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One case per folder under src/test/resources/kustomize (they all build on its base/): a case renders to its
 * expected.yaml, or fails with the text in its expected-error.txt.
 */
class KustomizeTest {
    static final Path CASES = Path.of("src", "test", "resources", "kustomize");

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(CASES)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals("base")).sorted().toList().stream();
        }
    }

    @Test
    void everyFeatureHasACase() throws IOException {
        List<String> names = cases().toList();
        for (String feature : List.of("namespace", "labels", "common-labels", "patch-by-name", "patch-with-target",
                "config-map-generator", "images", "error-")) {
            assertTrue(names.stream().anyMatch(n -> n.contains(feature)), "no case for " + feature + " in " + names);
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void rendersAsKustomizeWould(String name) throws IOException {
        Path dir = CASES.resolve(name);
        Path error = dir.resolve("expected-error.txt");
        if (Files.exists(error)) {
            String expected = Files.readString(error).strip();
            Kustomize.KustomizeException e = assertThrows(Kustomize.KustomizeException.class,
                    () -> Kustomize.render(dir));
            assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' lacks '" + expected + "'");
            return;
        }
        List<ObjectNode> rendered = Kustomize.render(dir);
        Path expectedFile = dir.resolve("expected.yaml");
        String actualYaml = toYaml(rendered);
        if (!Files.exists(expectedFile)) {
            fail(expectedFile + " is missing; the renderer produced:\n" + actualYaml);
        }
        List<JsonNode> expected = Kustomize.readYaml(expectedFile);
        assertEquals(expected, List.copyOf(rendered), "rendered:\n" + actualYaml);
    }

    private static final ObjectMapper PRINTER = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

    static String toYaml(List<ObjectNode> objects) throws IOException {
        StringBuilder out = new StringBuilder();
        for (ObjectNode o : objects) {
            out.append(PRINTER.writeValueAsString(o)).append("---\n");
        }
        return out.toString();
    }
}
