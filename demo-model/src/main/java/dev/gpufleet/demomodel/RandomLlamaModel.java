package dev.gpufleet.demomodel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A llama-architecture GGUF with random weights that llama.cpp loads and runs for real: tokenizer, forward pass,
 * sampling, KV cache and chat template all work; the text is word salad. Deterministic: the same preset, type and
 * seed give a byte-identical file.
 */
public final class RandomLlamaModel {

    public static final String CHAT_TEMPLATE = "{% for message in messages %}"
            + "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final float WEIGHT_STD = 0.02f;
    private static final float EMBEDDING_STD = 1.0f;
    /** Output rows of whole words (and end-of-sequence) are large, the rest small, so sampling mostly picks words. */
    private static final float WORD_OUTPUT_STD = 0.5f;
    private static final float OTHER_OUTPUT_STD = 0.05f;

    private RandomLlamaModel() {
    }

    public static long write(Preset preset, TensorType type, long seed, Path out) throws IOException {
        return writer(preset, type, seed).write(out);
    }

    /** The size {@link #write} produces for these arguments, computed without writing. */
    public static long plannedSize(Preset preset, TensorType type) {
        return writer(preset, type, 0).plannedSize();
    }

    public static Vocabulary vocabulary(Preset preset) {
        return Vocabulary.of(preset.words);
    }

    static GgufWriter writer(Preset p, TensorType type, long seed) {
        Vocabulary vocab = vocabulary(p);
        int nVocab = vocab.size();
        int nEmbd = p.embeddingLength;
        int headDim = nEmbd / p.headCount;
        int nEmbdKv = headDim * p.headCountKv;
        int nFf = p.feedForwardLength;

        GgufWriter w = new GgufWriter()
                .string("general.architecture", "llama")
                .string("general.name", p.modelName)
                .uint32("general.file_type", type.fileType)
                .alignment(GgufWriter.DEFAULT_ALIGNMENT)
                .uint32("llama.vocab_size", nVocab)
                .uint32("llama.context_length", p.contextLength)
                .uint32("llama.embedding_length", nEmbd)
                .uint32("llama.block_count", p.blockCount)
                .uint32("llama.feed_forward_length", nFf)
                .uint32("llama.attention.head_count", p.headCount)
                .uint32("llama.attention.head_count_kv", p.headCountKv)
                .uint32("llama.rope.dimension_count", headDim)
                .float32("llama.rope.freq_base", 10000f)
                .float32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .string("tokenizer.ggml.model", "llama")
                .stringArray("tokenizer.ggml.tokens", vocab.tokens())
                .float32Array("tokenizer.ggml.scores", vocab.scores())
                .int32Array("tokenizer.ggml.token_type", vocab.tokenTypes())
                .uint32("tokenizer.ggml.bos_token_id", Vocabulary.BOS_ID)
                .uint32("tokenizer.ggml.eos_token_id", Vocabulary.EOS_ID)
                .uint32("tokenizer.ggml.unknown_token_id", Vocabulary.UNKNOWN_ID)
                .bool("tokenizer.ggml.add_bos_token", true)
                .bool("tokenizer.ggml.add_eos_token", false)
                .string("tokenizer.chat_template", CHAT_TEMPLATE);

        Xorshift rng = new Xorshift(seed);
        TensorType rows = fit(type, nEmbd);
        TensorType downRows = fit(type, nFf);
        w.tensor("token_embd.weight", rows, uniform(rng, (long) nEmbd * nVocab, EMBEDDING_STD), nEmbd, nVocab);
        for (int l = 0; l < p.blockCount; l++) {
            String b = "blk." + l + ".";
            // llama.cpp expects the 1-D norm weights as F32 whatever the file type
            w.tensor(b + "attn_norm.weight", TensorType.F32, ones(nEmbd), nEmbd);
            w.tensor(b + "attn_q.weight", rows, uniform(rng, (long) nEmbd * nEmbd, WEIGHT_STD), nEmbd, nEmbd);
            w.tensor(b + "attn_k.weight", rows, uniform(rng, (long) nEmbd * nEmbdKv, WEIGHT_STD), nEmbd, nEmbdKv);
            w.tensor(b + "attn_v.weight", rows, uniform(rng, (long) nEmbd * nEmbdKv, WEIGHT_STD), nEmbd, nEmbdKv);
            w.tensor(b + "attn_output.weight", rows, uniform(rng, (long) nEmbd * nEmbd, WEIGHT_STD), nEmbd, nEmbd);
            w.tensor(b + "ffn_norm.weight", TensorType.F32, ones(nEmbd), nEmbd);
            w.tensor(b + "ffn_gate.weight", rows, uniform(rng, (long) nEmbd * nFf, WEIGHT_STD), nEmbd, nFf);
            w.tensor(b + "ffn_up.weight", rows, uniform(rng, (long) nEmbd * nFf, WEIGHT_STD), nEmbd, nFf);
            w.tensor(b + "ffn_down.weight", downRows, uniform(rng, (long) nFf * nEmbd, WEIGHT_STD), nFf, nEmbd);
        }
        w.tensor("output_norm.weight", TensorType.F32, ones(nEmbd), nEmbd);
        w.tensor("output.weight", rows, outputRows(rng, vocab, nEmbd), nEmbd, nVocab);
        return w;
    }

    /** A matrix whose rows do not fill the type's blocks (Q4_K: 256) is written as Q8_0, as llama-quantize does. */
    private static TensorType fit(TensorType type, int rowLength) {
        return rowLength % type.blockSize() == 0 ? type : TensorType.Q8_0;
    }

    private static GgufWriter.TensorData ones(int n) {
        return sink -> {
            for (int i = 0; i < n; i++) {
                sink.put(1f);
            }
        };
    }

    /** Uniform in [-a, a] with a = std * sqrt(3): the variance of N(0, std^2). */
    private static GgufWriter.TensorData uniform(Xorshift rng, long n, float std) {
        float a = (float) (std * Math.sqrt(3));
        return sink -> {
            for (long i = 0; i < n; i++) {
                sink.put((rng.nextFloat() * 2f - 1f) * a);
            }
        };
    }

    private static GgufWriter.TensorData outputRows(Xorshift rng, Vocabulary vocab, int nEmbd) {
        return sink -> {
            for (int token = 0; token < vocab.size(); token++) {
                boolean visible = vocab.kind(token) == Vocabulary.Kind.WORD || token == Vocabulary.EOS_ID;
                float a = (float) ((visible ? WORD_OUTPUT_STD : OTHER_OUTPUT_STD) * Math.sqrt(3));
                for (int i = 0; i < nEmbd; i++) {
                    sink.put((rng.nextFloat() * 2f - 1f) * a);
                }
            }
        };
    }

    /** xorshift64, seeded through splitmix64 so that nearby seeds give unrelated streams. */
    static final class Xorshift {
        private long x;

        Xorshift(long seed) {
            long z = seed + 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            x = z == 0 ? 0x9E3779B97F4A7C15L : z;
        }

        float nextFloat() {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            return (x >>> 40) * 0x1.0p-24f;
        }
    }
}
