package dev.gpufleet.bench;

import dev.gpufleet.demomodel.GgufWriter;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.demomodel.Vocabulary;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import dev.gpufleet.registry.estimate.LlamaBoxParameters;
import dev.gpufleet.registry.estimate.LlamaCppLoadReport;
import dev.gpufleet.registry.estimate.MemoryEstimate;
import dev.gpufleet.registry.estimate.MemoryEstimator;
import dev.gpufleet.registry.estimate.Placement;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * bench/run estimate [SERVER_JAR]: writes llama-architecture GGUF files of several shapes (layer counts, widths, GQA
 * head layouts, vocabulary sizes, F32/F16/Q8_0), loads each into llama.cpp at several context sizes (CPU only),
 * reads the buffer sizes llama.cpp reports, and compares them with {@link MemoryEstimator#llamaBox}. Goal: total
 * within ±5 % on every row.
 */
public final class EstimateBench {
    /** bench/run starts in the checkout's root. */
    private static final String DEFAULT_SERVER = "llamacpp-server/target/llamacpp-server.jar";
    private static final int[] CONTEXTS = {256, 1024, 4096, 8192};
    private static final double MIB = 1024.0 * 1024.0;

    /** A model shape the bench writes; words sets the vocabulary size. */
    record Shape(String name, int nEmbd, int layers, int heads, int kvHeads, int nFf, int words, TensorType type) {
        int headDim() {
            return nEmbd / heads;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("tiny-f32", 64, 2, 4, 4, 128, 0, TensorType.F32),
            new Shape("demo-q8_0", 512, 8, 8, 8, 1408, -1, TensorType.Q8_0),
            new Shape("gqa4-f16", 512, 4, 8, 2, 1024, -1, TensorType.F16),
            new Shape("wide-gqa-q8_0", 1024, 6, 16, 4, 2816, -1, TensorType.Q8_0),
            new Shape("vocab8k-f16", 256, 4, 4, 1, 768, 8000, TensorType.F16),
            new Shape("deep-f32", 128, 24, 2, 2, 256, 0, TensorType.F32));

    public static void main(String[] args) throws Exception {
        String server = args.length > 0 ? args[0] : DEFAULT_SERVER;
        Path dir = Files.createTempDirectory("gpufleet-estimate-bench");
        System.out.printf(Locale.ROOT, "%-14s %5s | %9s %9s %9s %9s | %9s %9s %9s %9s | %7s%n", "model", "ctx",
                "est.wts", "est.KV", "est.cmp", "est.tot", "rep.wts", "rep.KV", "rep.cmp", "rep.tot", "error");
        double worst = 0;
        try {
            for (Shape shape : SHAPES) {
                Path file = dir.resolve(shape.name() + ".gguf");
                ModelArchitecture arch = write(shape, file);
                for (int ctx : CONTEXTS) {
                    LlamaCppLoadReport rep = load(server, file, ctx);
                    MemoryEstimate est = MemoryEstimator.llamaBox(arch, LlamaBoxParameters.defaults(ctx),
                            Placement.cpuOnly());
                    long estWeights = est.ram().weights() + est.ram().output();
                    double error = 100.0 * (est.ramBytes() - rep.totalBytes()) / rep.totalBytes();
                    worst = Math.max(worst, Math.abs(error));
                    System.out.printf(Locale.ROOT,
                            "%-14s %5d | %9.2f %9.2f %9.2f %9.2f | %9.2f %9.2f %9.2f %9.2f | %+6.2f%%%n",
                            shape.name(), ctx, estWeights / MIB, est.ram().kvCache() / MIB,
                            est.ram().compute() / MIB, est.ramBytes() / MIB, rep.modelBytes() / MIB, rep.kvBytes() / MIB,
                            (rep.computeBytes() + rep.outputBytes()) / MIB, rep.totalBytes() / MIB, error);
                }
                Files.deleteIfExists(file);
            }
        } finally {
            Files.deleteIfExists(dir);
        }
        System.out.printf(Locale.ROOT, "worst |error| %.2f %% (goal 5 %%)%n", worst);
    }

    static List<String> words(Shape shape) {
        if (shape.words() == 0) {
            return Preset.TINY.words;
        }
        if (shape.words() < 0) {
            return Preset.DEMO.words;
        }
        List<String> words = new ArrayList<>();
        for (int i = 0; words.size() < shape.words(); i++) {
            words.add(syllables(i));
        }
        return words;
    }

    /** A distinct pronounceable word for each number (so every word adds its own whole-word token). */
    private static String syllables(int n) {
        String[] parts = {"ka", "lo", "mi", "su", "te", "ra", "no", "vi", "de", "pu"};
        StringBuilder sb = new StringBuilder();
        do {
            sb.append(parts[n % 10]);
            n /= 10;
        } while (n > 0);
        return sb.toString();
    }

    /** Writes the GGUF (weights constant: the values do not matter for sizes) and returns its known architecture. */
    static ModelArchitecture write(Shape s, Path out) throws IOException {
        Vocabulary vocab = Vocabulary.of(words(s));
        int nVocab = vocab.size();
        int headDim = s.headDim();
        int nEmbdKv = headDim * s.kvHeads();
        GgufWriter w = new GgufWriter()
                .string("general.architecture", "llama")
                .string("general.name", "bench-" + s.name())
                .uint32("general.file_type", s.type().fileType)
                .alignment(GgufWriter.DEFAULT_ALIGNMENT)
                .uint32("llama.vocab_size", nVocab)
                .uint32("llama.context_length", 8192)
                .uint32("llama.embedding_length", s.nEmbd())
                .uint32("llama.block_count", s.layers())
                .uint32("llama.feed_forward_length", s.nFf())
                .uint32("llama.attention.head_count", s.heads())
                .uint32("llama.attention.head_count_kv", s.kvHeads())
                .uint32("llama.rope.dimension_count", headDim)
                .float32("llama.rope.freq_base", 10000f)
                .float32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .string("tokenizer.ggml.model", "llama")
                .stringArray("tokenizer.ggml.tokens", vocab.tokens())
                .float32Array("tokenizer.ggml.scores", vocab.scores())
                .int32Array("tokenizer.ggml.token_type", vocab.tokenTypes())
                .uint32("tokenizer.ggml.bos_token_id", Vocabulary.BOS_ID)
                .uint32("tokenizer.ggml.eos_token_id", Vocabulary.EOS_ID)
                .uint32("tokenizer.ggml.unknown_token_id", Vocabulary.UNKNOWN_ID);
        TensorType t = s.type();
        long embd = tensor(w, "token_embd.weight", t, s.nEmbd(), nVocab);
        List<Long> layers = new ArrayList<>();
        for (int l = 0; l < s.layers(); l++) {
            String b = "blk." + l + ".";
            long bytes = tensor(w, b + "attn_norm.weight", TensorType.F32, s.nEmbd())
                    + tensor(w, b + "attn_q.weight", t, s.nEmbd(), s.nEmbd())
                    + tensor(w, b + "attn_k.weight", t, s.nEmbd(), nEmbdKv)
                    + tensor(w, b + "attn_v.weight", t, s.nEmbd(), nEmbdKv)
                    + tensor(w, b + "attn_output.weight", t, s.nEmbd(), s.nEmbd())
                    + tensor(w, b + "ffn_norm.weight", TensorType.F32, s.nEmbd())
                    + tensor(w, b + "ffn_gate.weight", t, s.nEmbd(), s.nFf())
                    + tensor(w, b + "ffn_up.weight", t, s.nEmbd(), s.nFf())
                    + tensor(w, b + "ffn_down.weight", t, s.nFf(), s.nEmbd());
            layers.add(bytes);
        }
        long output = tensor(w, "output_norm.weight", TensorType.F32, s.nEmbd())
                + tensor(w, "output.weight", t, s.nEmbd(), nVocab);
        long fileBytes = w.write(out);
        return new ModelArchitecture("llama", t.name(), 0, s.layers(), s.nEmbd(), s.nFf(), s.heads(),
                s.kvHeads(), headDim, 8192, nVocab, fileBytes, layers, embd, output, 0, false, false, 0);
    }

    /** Adds a tensor of small constant values and returns its size padded to the file's alignment. */
    private static long tensor(GgufWriter w, String name, TensorType type, long... dims) {
        long elements = 1;
        for (long d : dims) {
            elements *= d;
        }
        long count = elements;
        w.tensor(name, type, sink -> {
            for (long i = 0; i < count; i++) {
                sink.put(0.01f);
            }
        }, dims);
        long bytes = type.bytesFor(elements);
        return (bytes + GgufWriter.DEFAULT_ALIGNMENT - 1) / GgufWriter.DEFAULT_ALIGNMENT * GgufWriter.DEFAULT_ALIGNMENT;
    }

    /** Starts the server on the file, reads its load log until it listens (or exits), then stops it. */
    static LlamaCppLoadReport load(String serverJar, Path model, int ctx) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("java", "-jar", serverJar, "-m", model.toString(), "-c", String.valueOf(ctx),
                "--port", "0", "-v").redirectErrorStream(true).start();
        List<String> log = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null && !line.contains("listening on")) {
                log.add(line);
            }
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
        LlamaCppLoadReport report = LlamaCppLoadReport.parse(log);
        if (report.problem() != null) {
            int from = Math.max(0, log.size() - 20);
            throw new IOException(report.problem() + " for " + model.getFileName() + " at ctx " + ctx
                    + "; last lines:\n" + String.join("\n", log.subList(from, log.size())));
        }
        return report;
    }
}
