package dev.gpufleet.registry.estimate;

import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.RandomLlamaModel;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimate for demo-model's tiny preset (F32, seed 42) against what llama.cpp reported loading that file,
 * recorded with {@code java -jar llamacpp-server.jar -m tiny.gguf -c CTX -np SLOTS --port 0 -v} (CPU).
 */
class LlamaCppRecordedLoadTest {
    /** llama.cpp prints MiB with two decimals. */
    private static final long ROUNDING = 6 * 1024;

    @ParameterizedTest(name = "ctx {0}, {1} slot(s)")
    @CsvSource({"512, 1", "4096, 1", "2048, 4"})
    void estimateMatchesLlamaCppsOwnBufferReport(int ctx, int slots) throws IOException {
        LlamaCppLoadReport reported = LlamaCppLoadReport.parse(
                fixture("llamacpp-tiny-f32-c" + ctx + "-np" + slots + ".log"));
        assertNull(reported.problem());

        MemoryEstimate estimate = MemoryEstimator.llamaBox(tinyF32(), LlamaBoxParameters.defaults(ctx)
                .withParallel(slots), Placement.cpuOnly());
        DeviceMemory ram = estimate.ram();
        assertEquals(reported.modelBytes(), ram.weights() + ram.output(), ROUNDING, "weights");
        assertEquals(reported.kvBytes(), ram.kvCache(), ROUNDING, "KV cache");
        assertEquals(reported.computeBytes() + reported.outputBytes(), ram.compute(), 2 * ROUNDING, "compute");
        double error = Math.abs(estimate.ramBytes() - reported.totalBytes()) / (double) reported.totalBytes();
        assertTrue(error < 0.01, "total off by " + 100 * error + " %");
    }

    @Test
    void aLogWithoutBufferSizesSaysWhatIsMissing() {
        LlamaCppLoadReport report = LlamaCppLoadReport.parse(List.of("load_tensors: CPU_Mapped model buffer size "
                + "=     0.49 MiB", "llama_context: constructing llama_context", "garbage = x MiB"));
        assertEquals("no KV, compute buffer size in llama.cpp's load log", report.problem());
        assertNotNull(LlamaCppLoadReport.parse(new ArrayList<>()).problem());
    }

    /** The tiny preset's shape as RandomLlamaModel writes it (every tensor F32, sizes a multiple of 32). */
    static ModelArchitecture tinyF32() {
        Preset p = Preset.TINY;
        TensorType t = TensorType.F32;
        int vocab = RandomLlamaModel.vocabulary(p).size();
        int headDim = p.embeddingLength / p.headCount;
        long nEmbd = p.embeddingLength;
        long nEmbdKv = (long) headDim * p.headCountKv;
        long layer = t.bytesFor(nEmbd) * 2 + t.bytesFor(nEmbd * nEmbd) * 2 + t.bytesFor(nEmbd * nEmbdKv) * 2
                + t.bytesFor(nEmbd * p.feedForwardLength) * 3;
        List<Long> layers = new ArrayList<>();
        for (int i = 0; i < p.blockCount; i++) {
            layers.add(layer);
        }
        return new ModelArchitecture("llama", "F32", 0, p.blockCount, p.embeddingLength, p.feedForwardLength,
                p.headCount, p.headCountKv, headDim, p.contextLength, vocab, 0, layers, t.bytesFor(nEmbd * vocab),
                t.bytesFor(nEmbd) + t.bytesFor(nEmbd * vocab), 0, false, false, 0);
    }

    private static List<String> fixture(String name) throws IOException {
        try (InputStream in = LlamaCppRecordedLoadTest.class.getResourceAsStream("/estimate/" + name)) {
            assertNotNull(in, "fixture " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
