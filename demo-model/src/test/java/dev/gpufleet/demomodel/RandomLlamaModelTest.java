package dev.gpufleet.demomodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class RandomLlamaModelTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TensorType.class)
    void sameSeedGivesTheSameBytesAndAnotherSeedOtherBytes(TensorType type) throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        DemoModel.write(Preset.TINY, type, 7, a);
        DemoModel.write(Preset.TINY, type, 7, b);
        DemoModel.write(Preset.TINY, type, 8, c);

        assertEquals(sha256(a), sha256(b));
        assertNotEquals(sha256(a), sha256(c));
        assertEquals(Files.size(a), Files.size(c), "the seed changes weights, not the layout");
        assertEquals(GgufTestReader.read(a).dataOffset(), GgufTestReader.read(c).dataOffset());
    }

    @Test
    void tinyHeaderDescribesAValidLlamaModel() throws IOException {
        Path file = dir.resolve("tiny.gguf");
        long size = DemoModel.write(Preset.TINY, TensorType.Q8_0, 1, file);
        GgufTestReader.Header h = GgufTestReader.read(file);

        assertEquals(GgufWriter.MAGIC, h.magic());
        assertEquals(3, h.version());
        assertEquals(24, h.metadataCount());
        assertEquals(1 + 9 * Preset.TINY.blockCount + 2, h.tensorCount());
        assertEquals(32L, h.metadata().get("general.alignment"));
        assertEquals(0, h.dataOffset() % 32);
        assertEquals(size, h.fileSize());
        assertEquals("llama", h.metadata().get("general.architecture"));
        assertEquals(7L, h.metadata().get("general.file_type"));
        assertEquals(Preset.TINY.modelName, h.metadata().get("general.name"));
        assertEquals(RandomLlamaModel.CHAT_TEMPLATE, h.metadata().get("tokenizer.chat_template"));
        assertTrue(RandomLlamaModel.CHAT_TEMPLATE.contains("<|im_start|>"));

        List<?> tokens = (List<?>) h.metadata().get("tokenizer.ggml.tokens");
        assertEquals((long) tokens.size(), h.metadata().get("llama.vocab_size"));
        assertEquals(tokens.size(), ((List<?>) h.metadata().get("tokenizer.ggml.scores")).size());
        assertEquals(tokens.size(), ((List<?>) h.metadata().get("tokenizer.ggml.token_type")).size());
        assertEquals("<unk>", tokens.get(((Number) h.metadata().get("tokenizer.ggml.unknown_token_id")).intValue()));
        assertEquals("<s>", tokens.get(((Number) h.metadata().get("tokenizer.ggml.bos_token_id")).intValue()));
        assertEquals("</s>", tokens.get(((Number) h.metadata().get("tokenizer.ggml.eos_token_id")).intValue()));
        assertEquals("<0x0A>", tokens.get(3 + 0x0A));

        long expectedOffset = 0;
        for (GgufTestReader.TensorInfo t : h.tensors()) {
            assertEquals(expectedOffset, t.offset(), t.name());
            boolean norm = t.name().endsWith("norm.weight");
            TensorType type = norm ? TensorType.F32 : TensorType.Q8_0;
            assertEquals(type.ggmlId, t.ggmlType(), t.name());
            long elements = 1;
            for (long d : t.dims()) {
                elements *= d;
            }
            expectedOffset = (expectedOffset + type.bytesFor(elements) + 31) / 32 * 32;
        }
        assertEquals(h.fileSize(), h.dataOffset() + expectedOffset, "the file ends with the last tensor");
        GgufTestReader.TensorInfo embeddings = h.tensors().get(0);
        assertEquals("token_embd.weight", embeddings.name());
        assertEquals(List.of((long) Preset.TINY.embeddingLength, (long) tokens.size()),
                List.of(embeddings.dims()[0], embeddings.dims()[1]));
    }

    @ParameterizedTest
    @EnumSource(Preset.class)
    void everyPrefixOfAWordPieceIsAToken(Preset preset) {
        Vocabulary v = RandomLlamaModel.vocabulary(preset);
        Set<String> tokens = new HashSet<>(v.tokens());
        assertEquals(v.size(), tokens.size(), "no duplicate tokens");
        for (String word : preset.words) {
            String piece = Vocabulary.WORD_BOUNDARY + word;
            for (int len = 1; len <= piece.length(); len++) {
                assertTrue(tokens.contains(piece.substring(0, len)), piece.substring(0, len));
            }
        }
        for (int b = 0; b < 256; b++) {
            assertEquals(Vocabulary.Kind.BYTE, v.kind(3 + b));
            assertEquals(String.format("<0x%02X>", b), v.tokens().get(3 + b));
        }
    }

    @ParameterizedTest
    @CsvSource({
        // preset, type, smallest and largest expected size in bytes
        "TINY, F32, 400000, 600000",
        "TINY, F16, 200000, 320000",
        "TINY, Q8_0, 110000, 200000",
        "DEMO, F32, 100000000, 130000000",
        "DEMO, F16, 50000000, 65000000",
        "DEMO, Q8_0, 26000000, 35000000",
    })
    void sizesPerPresetAndType(Preset preset, TensorType type, long min, long max) {
        long planned = RandomLlamaModel.plannedSize(preset, type);
        assertTrue(planned >= min && planned <= max, preset + " " + type + ": " + planned);
    }

    @Test
    void writtenFilesHaveThePlannedSize() throws IOException {
        for (TensorType type : TensorType.values()) {
            Path file = dir.resolve("tiny-" + type + ".gguf");
            assertEquals(RandomLlamaModel.plannedSize(Preset.TINY, type), DemoModel.write(Preset.TINY, type, 3, file));
            assertEquals(RandomLlamaModel.plannedSize(Preset.TINY, type), Files.size(file));
        }
        Path demo = dir.resolve("demo.gguf");
        DemoModel.write(Preset.DEMO, 3, demo);
        assertEquals(RandomLlamaModel.plannedSize(Preset.DEMO, TensorType.Q8_0), Files.size(demo));
        GgufTestReader.Header h = GgufTestReader.read(demo);
        assertEquals(Preset.DEMO.modelName, h.metadata().get("general.name"));
        assertEquals(512L, h.metadata().get("llama.embedding_length"));
        assertEquals(Files.size(demo), h.fileSize());
    }

    @Test
    void aLargerTypeGivesALargerFile() {
        for (Preset p : Preset.values()) {
            assertTrue(RandomLlamaModel.plannedSize(p, TensorType.F32) > RandomLlamaModel.plannedSize(p, TensorType.F16));
            assertTrue(RandomLlamaModel.plannedSize(p, TensorType.F16) > RandomLlamaModel.plannedSize(p, TensorType.Q8_0));
        }
    }

    static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStreamSink.INSTANCE);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
