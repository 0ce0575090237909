package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.GgufWriter;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.RandomLlamaModel;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GgufAnalyzerTest {
    @TempDir
    Path dir;

    static Stream<Arguments> demoModels() {
        return Stream.of(
                Arguments.of(Preset.TINY, TensorType.F32, "F32"),
                Arguments.of(Preset.TINY, TensorType.F16, "F16"),
                Arguments.of(Preset.TINY, TensorType.Q8_0, "Q8_0"),
                Arguments.of(Preset.DEMO, TensorType.Q8_0, "Q8_0"),
                Arguments.of(Preset.DEMO, TensorType.F16, "F16"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("demoModels")
    void analysisOfDemoModelsMatchesTheirShapes(Preset p, TensorType type, String quantization) throws Exception {
        Path file = dir.resolve(p.cliName() + "-" + type.cliName() + ".gguf");
        long size = DemoModel.write(p, type, 7, file);

        ModelArchitecture a = GgufAnalyzer.analyze(file);

        long embd = p.embeddingLength;
        long kv = embd / p.headCount * p.headCountKv;
        long ff = p.feedForwardLength;
        long vocab = RandomLlamaModel.vocabulary(p).size();
        long layerBytes = 2 * embd * 4 + 2 * type.bytesFor(embd * embd) + 2 * type.bytesFor(embd * kv)
                + 3 * type.bytesFor(embd * ff);
        long layerParams = 2 * embd + 2 * embd * embd + 2 * embd * kv + 3 * embd * ff;
        assertEquals("llama", a.architecture());
        assertEquals(quantization, a.quantization());
        assertEquals(p.blockCount, a.layers());
        assertEquals(p.embeddingLength, a.embeddingLength());
        assertEquals(p.feedForwardLength, a.feedForwardLength());
        assertEquals(p.headCount, a.headCount());
        assertEquals(p.headCountKv, a.headCountKv());
        assertEquals(p.embeddingLength / p.headCount, a.headDim());
        assertEquals(p.contextLength, a.contextLength());
        assertEquals(vocab, a.vocabSize());
        assertEquals(2 * vocab * embd + embd + p.blockCount * layerParams, a.parameterCount());
        assertEquals(Collections.nCopies(p.blockCount, layerBytes), a.layerWeightBytes());
        assertEquals(type.bytesFor(embd * vocab), a.tokenEmbeddingBytes());
        assertEquals(type.bytesFor(embd * vocab) + embd * 4, a.outputBytes());
        assertEquals(0, a.otherBytes());
        assertEquals(size, a.fileBytes());
        assertFalse(a.embeddingModel());
        assertFalse(a.rerankerModel());
        assertEquals(0, a.mmprojBytes());
        // weights plus padding and header make up the file
        assertTrue(size - a.weightBytes() < 64 * 1024 + 32L * (p.blockCount * 9 + 3), size - a.weightBytes() + "");
    }

    private static GgufWriter.TensorData zeros(long n) {
        return sink -> {
            for (long i = 0; i < n; i++) {
                sink.put(0f);
            }
        };
    }

    /** A 3-layer llama-like model; {@code part} of {@code parts} gets the layers with index % parts == part. */
    private static GgufWriter llama(int part, int parts, String arch, boolean withOutput) {
        GgufWriter w = new GgufWriter();
        if (part == 0) {
            w.string("general.architecture", arch)
                    .uint32(arch + ".block_count", 3)
                    .uint32(arch + ".embedding_length", 64)
                    .uint32(arch + ".attention.head_count", 8)
                    .uint32(arch + ".context_length", 512)
                    .stringArray("tokenizer.ggml.tokens", List.of("a", "b", "c", "d", "e"));
            w.tensor("token_embd.weight", TensorType.F16, zeros(64 * 5), 64, 5);
            if (withOutput) {
                w.tensor("output_norm.weight", TensorType.F32, zeros(64), 64);
            }
        }
        if (parts > 1) {
            w.uint16("split.no", part).uint16("split.count", parts).int32("split.tensors.count", withOutput ? 8 : 7);
        }
        for (int l = part; l < 3; l += parts) {
            w.tensor("blk." + l + ".attn_q.weight", TensorType.Q8_0, zeros(64 * 64), 64, 64);
            w.tensor("blk." + l + ".attn_norm.weight", TensorType.F32, zeros(64), 64);
        }
        return w;
    }

    @Test
    void tiedEmbeddingsHaveNoOutputBytesAndTheirOutputNormCountsAsOther() throws Exception {
        // output_norm but no output.weight: llama.cpp reuses token_embd as the output matrix
        Path file = dir.resolve("tied.gguf");
        llama(0, 1, "qwen2", true).write(file);
        ModelArchitecture a = GgufAnalyzer.analyze(file);
        assertEquals(0, a.outputBytes());
        assertEquals(64 * 4, a.otherBytes());
        assertEquals(64L * 5 * 2, a.tokenEmbeddingBytes());
        assertFalse(a.embeddingModel());
    }

    @Test
    void splitModelsAreReadFromAnyPartAndSummed() throws Exception {
        Path single = dir.resolve("m.gguf");
        long singleSize = llama(0, 1, "llama", true).write(single);
        long total = 0;
        for (int i = 0; i < 2; i++) {
            total += llama(i, 2, "llama", true).write(dir.resolve(String.format("m-%05d-of-00002.gguf", i + 1)));
        }
        ModelArchitecture whole = GgufAnalyzer.analyze(single);
        ModelArchitecture fromFirst = GgufAnalyzer.analyze(dir.resolve("m-00001-of-00002.gguf"));
        ModelArchitecture fromSecond = GgufAnalyzer.analyze(dir.resolve("m-00002-of-00002.gguf"));
        assertEquals(fromFirst, fromSecond);
        assertEquals(total, fromFirst.fileBytes());
        assertEquals(singleSize, whole.fileBytes());
        assertEquals(whole.parameterCount(), fromFirst.parameterCount());
        assertEquals(whole.layerWeightBytes(), fromFirst.layerWeightBytes());
        assertEquals(List.of(64L * 68 + 256, 64L * 68 + 256, 64L * 68 + 256), fromFirst.layerWeightBytes());
        assertEquals(5, fromFirst.vocabSize());
        assertEquals(8, fromFirst.headCountKv());
        assertEquals(8, fromFirst.headDim());
        assertEquals(whole.weightBytes(), fromFirst.weightBytes());
    }

    @Test
    void aMissingSplitPartIsNamed() throws Exception {
        llama(0, 2, "llama", true).write(dir.resolve("m-00001-of-00002.gguf"));
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufAnalyzer.analyze(dir.resolve("m-00001-of-00002.gguf")));
        assertTrue(e.getMessage().contains("split part m-00002-of-00002.gguf is missing"), e.getMessage());
    }

    @Test
    void splitCountsMustAgree() throws Exception {
        llama(0, 2, "llama", true).write(dir.resolve("a.gguf"));
        GgufFile first;
        try (LocalFileSource s = new LocalFileSource(dir.resolve("a.gguf"))) {
            first = GgufReader.read(s);
        }
        GgufFile only = first;
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufAnalyzer.analyze(List.of(only)));
        assertTrue(e.getMessage().contains("split.count is 2 but 1 parts were found"), e.getMessage());
    }

    @Test
    void splitPartNames() {
        assertEquals(List.of("x-00001-of-00003.gguf", "x-00002-of-00003.gguf", "x-00003-of-00003.gguf"),
                GgufAnalyzer.splitPartNames("x-00002-of-00003.gguf"));
        assertEquals(List.of("x.gguf"), GgufAnalyzer.splitPartNames("x.gguf"));
        assertEquals(List.of("x-00004-of-00003.gguf"), GgufAnalyzer.splitPartNames("x-00004-of-00003.gguf"));
    }

    static Stream<Arguments> kinds() {
        return Stream.of(
                // name, arch, extra metadata, output tensors, classifier tensor, embedding, reranker
                Arguments.of("llama with output", "llama", null, true, false, false, false),
                Arguments.of("bert", "bert", null, true, false, true, false),
                Arguments.of("pooling mean", "qwen3", 1L, true, false, true, false),
                Arguments.of("pooling rank", "qwen3", 4L, true, false, false, true),
                Arguments.of("classifier tensors", "bert", null, false, true, false, true),
                Arguments.of("no output tensors", "llama", null, false, false, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void embeddingAndRerankerModels(String name, String arch, Long pooling, boolean output, boolean classifier,
            boolean embedding, boolean reranker) throws Exception {
        GgufWriter w = llama(0, 1, arch, output);
        if (pooling != null) {
            w.uint32(arch + ".pooling_type", pooling);
        }
        if (classifier) {
            w.tensor("cls.output.weight", TensorType.F32, zeros(64), 64);
        }
        Path file = dir.resolve("k.gguf");
        w.write(file);
        ModelArchitecture a = GgufAnalyzer.analyze(file);
        assertEquals(embedding, a.embeddingModel(), "embedding");
        assertEquals(reranker, a.rerankerModel(), "reranker");
    }

    static Stream<Arguments> quantizations() {
        return Stream.of(
                Arguments.of(15L, "Q4_K_M"), Arguments.of(0L, "F32"), Arguments.of(32L, "BF16"),
                Arguments.of(12L, "Q3_K_M"), Arguments.of(null, "Q8_0"), Arguments.of(999L, "Q8_0"));
    }

    @ParameterizedTest(name = "file_type {0} → {1}")
    @MethodSource("quantizations")
    void quantizationFromFileTypeElseTheDominantTensorType(Long fileType, String expected) throws Exception {
        GgufWriter w = llama(0, 1, "llama", true);
        if (fileType != null) {
            w.uint32("general.file_type", fileType);
        }
        Path file = dir.resolve("q.gguf");
        w.write(file);
        assertEquals(expected, GgufAnalyzer.analyze(file).quantization());
    }

    @Test
    void missingArchitectureIsAFormatError() throws Exception {
        Path file = dir.resolve("noarch.gguf");
        new GgufWriter().uint32("x", 1).write(file);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufAnalyzer.analyze(file));
        assertTrue(e.getMessage().endsWith("general.architecture is missing"), e.getMessage());
    }

    @Test
    void layerCountFallsBackToTheBlockTensors() throws Exception {
        Path file = dir.resolve("nolayers.gguf");
        new GgufWriter().string("general.architecture", "x")
                .tensor("blk.0.a", TensorType.F32, zeros(4), 4)
                .tensor("blk.4.a", TensorType.F32, zeros(4), 4).write(file);
        ModelArchitecture a = GgufAnalyzer.analyze(file);
        assertEquals(5, a.layers());
        assertEquals(List.of(16L, 0L, 0L, 0L, 16L), new ArrayList<>(a.layerWeightBytes()));
        assertTrue(Files.size(file) > 0);
    }

    @Test
    void theProjectorBesideIsCountedAndAnOverrideWins() throws Exception {
        Path model = dir.resolve("vision.gguf");
        llama(0, 1, "llama", true).write(model);
        Files.write(dir.resolve("mmproj-vision-f16.gguf"), new byte[1000]);
        Files.write(dir.resolve("mmproj-vision-f32.gguf"), new byte[2000]);
        Files.write(dir.resolve("custom.gguf"), new byte[300]);
        assertEquals(0, GgufAnalyzer.analyze(model).mmprojBytes());
        assertEquals(2000, GgufAnalyzer.analyzeWithMmproj(model, List.of()).mmprojBytes());
        assertEquals(300, GgufAnalyzer.analyzeWithMmproj(model, List.of("--mmproj=custom.gguf")).mmprojBytes());
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufAnalyzer.analyzeWithMmproj(model, List.of("--mmproj", "absent.gguf")));
        assertTrue(e.getMessage().contains("absent.gguf is missing"), e.getMessage());
    }
}
