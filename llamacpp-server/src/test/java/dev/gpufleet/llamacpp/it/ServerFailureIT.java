package dev.gpufleet.llamacpp.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.GgufWriter;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each case runs the jar to its end: wrong arguments exit 2, an unusable model or port exit 1, never a crash. */
class ServerFailureIT {

    @TempDir
    static Path dir;

    static Path model;

    @BeforeAll
    static void writeModels() throws Exception {
        model = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, TensorType.F16, 2, model);
        byte[] bytes = Files.readAllBytes(model);
        Files.write(dir.resolve("cut-header.gguf"), Arrays.copyOf(bytes, 2000));
        Files.write(dir.resolve("cut-data.gguf"), Arrays.copyOf(bytes, bytes.length / 2));
        byte[] garbage = new byte[4096];
        new java.util.Random(1).nextBytes(garbage);
        Files.write(dir.resolve("garbage.gguf"), garbage);
        // a well-formed GGUF that says llama but has no tensors: only llama.cpp itself can refuse it
        new GgufWriter().string("general.architecture", "llama").uint32("llama.block_count", 1)
                .write(dir.resolve("no-tensors.gguf"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--port 8080                       | error: -m/--model is required",
        "-m MODEL --bogus                  | error: unknown argument '--bogus'",
        "-m MODEL --parallel none          | error: --parallel must be an integer from 1 to 256, got 'none'",
    })
    void wrongArgumentsExit2WithUsage(String commandLine, String message) throws Exception {
        ServerProcess p = ServerProcess.run(dir.resolve("args-" + Math.abs(commandLine.hashCode())),
                List.of(commandLine.replace("MODEL", model.toString()).split(" ")));
        assertEquals(2, p.exitCode());
        assertTrue(p.stderr().startsWith(message + "\n"), p.stderr());
        assertTrue(p.stderr().contains("usage: java -jar llamacpp-server.jar -m FILE"), p.stderr());
        assertEquals("", p.stdout());
    }

    @Test
    void helpExits0() throws Exception {
        ServerProcess p = ServerProcess.run(dir.resolve("help"), List.of("--help"));
        assertEquals(0, p.exitCode());
        assertTrue(p.stdout().startsWith("usage: "), p.stdout());
        assertEquals("", p.stderr());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "missing.gguf      | no such file",
        "garbage.gguf      | not a GGUF file",
        "cut-header.gguf   | truncated: the file ends inside the GGUF header",
        "cut-data.gguf     | truncated: the tensors need",
        "no-tensors.gguf   | llama.cpp could not load it",
    })
    void anUnusableModelExits1WithOneClearLine(String file, String reason) throws Exception {
        Path workDir = dir.resolve("model-" + file);
        ServerProcess p = ServerProcess.run(workDir, List.of("-m", dir.resolve(file).toString(), "--port", "0"));
        assertEquals(1, p.exitCode(), p.stderr());
        String expected = "error: cannot load model '" + dir.resolve(file) + "': " + reason;
        assertTrue(p.stderr().startsWith(expected), p.stderr());
        assertEquals(1, p.stderr().lines().count(), "one line: " + p.stderr());
        assertFalse(p.stdout().contains("listening"), p.stdout());
        assertEquals(List.of(), p.crashReports());
    }

    @Test
    void aTakenPortExits1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            ServerProcess p = ServerProcess.run(dir.resolve("port"),
                    List.of("-m", model.toString(), "--port", String.valueOf(taken.getLocalPort())));
            assertEquals(1, p.exitCode());
            assertTrue(p.stderr().startsWith("error: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": "),
                    p.stderr());
            assertEquals(1, p.stderr().lines().count(), p.stderr());
            assertEquals(List.of(), p.crashReports());
        }
    }
}
