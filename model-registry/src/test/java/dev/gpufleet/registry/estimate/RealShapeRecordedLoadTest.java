package dev.gpufleet.registry.estimate;

import dev.gpufleet.registry.analysis.ModelArchitecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimate against what llama.cpp reported loading GGUFs with the exact shapes of real models (Qwen2.5 0.5B,
 * 1.5B and 3B, Llama 3.2 1B, Gemma 3 1B, Phi-3 mini; Q8_0 and Q4_K; written by demo-model's {@code ShapedModel}) on the
 * CPU at contexts 2048 to 32768, as {@code bench/run estimate} recorded them in {@code estimate-rows.csv}: the
 * registry's analysis of each file (the model's inputs to the estimator) and the buffer sizes llama.cpp printed.
 */
class RealShapeRecordedLoadTest {
    /** llama.cpp prints MiB with two decimals. */
    private static final long ROUNDING = 6 * 1024;
    private static final double MIB = 1024.0 * 1024.0;
    /** The bench's goal is 5 %; these shapes meet it by far (worst 0.40 %), so a regression shows at 1 %. */
    private static final double TOTAL_TOLERANCE = 0.01;

    record Row(String name, ModelArchitecture model, int ctx, int slots, long weights, long kv, long compute,
            long output) {
        @Override
        public String toString() {
            return name + " ctx " + ctx + (slots == 1 ? "" : " np " + slots);
        }
    }

    static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (InputStream in = RealShapeRecordedLoadTest.class.getResourceAsStream("/estimate/real-shapes.csv")) {
            assertNotNull(in, "fixture real-shapes.csv");
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                int layers = Integer.parseInt(f[2]);
                List<Long> perLayer = Arrays.stream(f[9].split(";")).map(Long::parseLong).toList();
                List<Long> layerBytes = perLayer.size() == 1 ? Collections.nCopies(layers, perLayer.get(0))
                        : perLayer;
                ModelArchitecture m = new ModelArchitecture(f[1], "", 0, layers, Integer.parseInt(f[3]),
                        Integer.parseInt(f[4]), Integer.parseInt(f[5]), Integer.parseInt(f[6]),
                        Integer.parseInt(f[7]), 0, Integer.parseInt(f[8]), 0, layerBytes, Long.parseLong(f[10]),
                        Long.parseLong(f[11]), Long.parseLong(f[12]), false, false, 0);
                rows.add(new Row(f[0], m, Integer.parseInt(f[13]), Integer.parseInt(f[14]), mib(f[15]), mib(f[16]),
                        mib(f[17]), mib(f[18])));
            }
        }
        return rows;
    }

    @Test
    void theFixtureCoversEveryShapeTheBenchLoads() throws IOException {
        List<String> names = rows().stream().map(Row::name).distinct().toList();
        assertEquals(List.of("qwen2.5-0.5b-q8_0", "qwen2.5-0.5b-q4_k", "llama-3.2-1b-q8_0", "llama-3.2-1b-q4_k",
                "qwen2.5-1.5b-q8_0", "qwen2.5-1.5b-q4_k", "qwen2.5-3b-q4_k", "gemma-3-1b-q8_0", "phi-3-mini-4k-q4_k"),
                names);
        // tied embeddings (all but Phi-3) come out of the analysis with no output bytes of their own
        assertTrue(rows().stream().filter(r -> !r.name().startsWith("phi"))
                .allMatch(r -> r.model().outputBytes() == 0));
    }

    /**
     * With tied embeddings a fully offloaded model needs a copy of token_embd on its GPU as the output matrix
     * (llama.cpp duplicates the tensor); the input embeddings stay in RAM. Not measured here (CPU-only llama.cpp).
     */
    @Test
    void tiedEmbeddingsAreCopiedToTheGpuWhenEverythingIsOffloaded() throws IOException {
        Row qwen = rows().stream().filter(r -> r.name().equals("qwen2.5-1.5b-q8_0")).findFirst().orElseThrow();
        MemoryEstimate onGpu = MemoryEstimator.llamaBox(qwen.model(), LlamaBoxParameters.defaults(8192),
                Placement.fullGpu());
        assertEquals(qwen.model().tokenEmbeddingBytes(), onGpu.gpus().get(0).output());
        assertTrue(onGpu.ram().weights() >= qwen.model().tokenEmbeddingBytes());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void estimateMatchesLlamaCppOnRealShapes(Row row) {
        MemoryEstimate estimate = MemoryEstimator.llamaBox(row.model(),
                LlamaBoxParameters.defaults(row.ctx()).withParallel(row.slots()), Placement.cpuOnly());
        DeviceMemory ram = estimate.ram();
        assertEquals(row.weights(), ram.weights() + ram.output(), ROUNDING, "weights");
        assertEquals(row.kv(), ram.kvCache(), ROUNDING, "KV cache");
        long reported = row.weights() + row.kv() + row.compute() + row.output();
        double error = Math.abs(estimate.ramBytes() - reported) / (double) reported;
        assertTrue(error < TOTAL_TOLERANCE, "total off by " + 100 * error + " %");
    }


    private static long mib(String value) {
        return Math.round(Double.parseDouble(value) * MIB);
    }
}
