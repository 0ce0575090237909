package dev.gpufleet.demomodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DemoModelTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String commandLine) {
        String[] args = commandLine.isBlank() ? new String[0] : commandLine.replace("OUT", dir.resolve("m.gguf").toString()).split(" ");
        return DemoModel.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                                         | --preset is required",
        "--out OUT                                  | --preset is required",
        "--preset tiny                              | --out is required",
        "--preset huge --out OUT                    | unknown preset 'huge' (allowed: tiny, demo, tiny-reranker)",
        "--preset tiny --type q4_0 --out OUT        | unknown tensor type 'q4_0' (allowed: f32, f16, q8_0, q4_k)",
        "--preset tiny --seed x --out OUT           | --seed must be an integer",
        "--preset tiny --out                        | --out needs a value",
        "--preset tiny --out OUT --verbose          | unknown argument '--verbose'",
    })
    void badArgumentsPrintUsageAndExit2(String commandLine, String message) {
        assertEquals(2, run(commandLine));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertTrue(stderr.contains(message), stderr);
        assertTrue(stderr.contains("usage: DemoModel --preset tiny|demo"), stderr);
        assertFalse(Files.exists(dir.resolve("m.gguf")));
    }

    @Test
    void helpPrintsUsageAndExits0() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: "));
    }

    @Test
    void writesTheRequestedModel() throws Exception {
        assertEquals(0, run("--preset tiny --type f16 --seed 5 --out OUT"));
        Path file = dir.resolve("m.gguf");
        assertEquals(RandomLlamaModel.plannedSize(Preset.TINY, TensorType.F16), Files.size(file));
        Path same = dir.resolve("same.gguf");
        DemoModel.write(Preset.TINY, TensorType.F16, 5, same);
        assertEquals(RandomLlamaModelTest.sha256(same), RandomLlamaModelTest.sha256(file));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("gpufleet-tiny-random f16 seed 5"));
    }

    @Test
    void defaultsAreThePresetTypeAndSeed42AndParentDirectoriesAreCreated() throws Exception {
        Path nested = dir.resolve("a/b/tiny.gguf");
        assertEquals(0, DemoModel.run(new String[] {"--preset", "tiny", "--out", nested.toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
        Path explicit = dir.resolve("explicit.gguf");
        DemoModel.write(Preset.TINY, TensorType.F32, 42, explicit);
        assertEquals(RandomLlamaModelTest.sha256(explicit), RandomLlamaModelTest.sha256(nested));
    }
}
