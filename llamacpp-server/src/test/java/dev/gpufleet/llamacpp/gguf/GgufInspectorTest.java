package dev.gpufleet.llamacpp.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.GgufWriter;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.RandomLlamaModel;
import dev.gpufleet.demomodel.TensorType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class GgufInspectorTest {

    @TempDir
    static Path dir;

    static Path tiny;
    static byte[] tinyBytes;

    @BeforeAll
    static void writeModel() throws IOException {
        tiny = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, TensorType.F32, 1, tiny);
        tinyBytes = Files.readAllBytes(tiny);
    }

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void summarisesAGeneratedModel(TensorType type) throws Exception {
        Path file = dir.resolve("summary-" + type + ".gguf");
        DemoModel.write(Preset.TINY, type, 1, file);
        GgufSummary s = GgufInspector.inspect(file);
        assertEquals(3, s.version());
        assertEquals("llama", s.architecture());
        assertEquals(Preset.TINY.modelName, s.name());
        assertEquals(RandomLlamaModel.vocabulary(Preset.TINY).size(), s.vocabularySize());
        assertEquals(Preset.TINY.contextLength, s.contextLength().orElseThrow());
        assertEquals(Preset.TINY.embeddingLength, s.embeddingLength().orElseThrow());
        assertTrue(s.addsBosToken());
        assertEquals(21, s.tensorCount());
        assertEquals(129_216, s.parameterCount(), "the count llama.cpp reports for the tiny model");
        assertEquals(Files.size(file), s.fileSize());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0       | the file is empty",
        "10      | not a GGUF file (only 10 bytes)",
        "30      | truncated: the file ends inside the GGUF header",
        "5000    | truncated: the file ends inside the GGUF header",
        "100000  | truncated: the tensors need 527200 bytes but the file has 100000",
        "527199  | truncated: the tensors need 527200 bytes but the file has 527199",
    })
    void refusesATruncatedFile(int length, String message) throws IOException {
        Path cut = dir.resolve("cut-" + length + ".gguf");
        Files.write(cut, Arrays.copyOf(tinyBytes, length));
        assertEquals(message, assertThrows(ModelFileException.class, () -> GgufInspector.inspect(cut)).getMessage());
    }

    @Test
    void refusesWhatIsNotAGgufModel() throws IOException {
        Path text = dir.resolve("text.gguf");
        Files.writeString(text, "this is certainly not a model, just some text");
        assertEquals("not a GGUF file (it starts with 0x74686973, expected 'GGUF')",
                assertThrows(ModelFileException.class, () -> GgufInspector.inspect(text)).getMessage());

        byte[] v4 = tinyBytes.clone();
        ByteBuffer.wrap(v4).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 4);
        Path future = dir.resolve("v4.gguf");
        Files.write(future, v4);
        assertEquals("unsupported GGUF version 4 (llama.cpp reads 2 and 3)",
                assertThrows(ModelFileException.class, () -> GgufInspector.inspect(future)).getMessage());

        byte[] huge = tinyBytes.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE);
        Path corrupt = dir.resolve("corrupt.gguf");
        Files.write(corrupt, huge);
        assertTrue(assertThrows(ModelFileException.class, () -> GgufInspector.inspect(corrupt)).getMessage()
                .startsWith("corrupt GGUF header"));

        Path noArchitecture = dir.resolve("no-arch.gguf");
        new GgufWriter().string("general.name", "x").write(noArchitecture);
        assertEquals("not a model: the GGUF has no general.architecture",
                assertThrows(ModelFileException.class, () -> GgufInspector.inspect(noArchitecture)).getMessage());
    }

    @Test
    void refusesMissingFilesAndDirectories() {
        assertEquals("no such file", assertThrows(ModelFileException.class,
                () -> GgufInspector.inspect(dir.resolve("missing.gguf"))).getMessage());
        assertEquals("it is a directory",
                assertThrows(ModelFileException.class, () -> GgufInspector.inspect(dir)).getMessage());
    }
}
