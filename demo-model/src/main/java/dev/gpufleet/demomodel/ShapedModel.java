package dev.gpufleet.demomodel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a GGUF with a {@link RealShape}'s exact tensors, as llama.cpp loads that architecture: made-up weights (a
 * cheap repeating pattern; only sizes and loadability matter), a SentencePiece vocabulary padded to the model's
 * vocabulary size. Matrices whose rows do not fit the requested type's block (Q4_K needs rows of 256) fall back to
 * Q8_0, as llama-quantize does; norms and biases are F32.
 */
public final class ShapedModel {

    /** One tensor as it will be written. */
    public record PlannedTensor(String name, TensorType type, long[] dims) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        public long bytes() {
            return type.bytesFor(elements());
        }
    }

    private ShapedModel() {
    }

    /** The tensors of the shape in file order (embeddings, blocks, output). */
    public static List<PlannedTensor> tensors(RealShape s, TensorType type) {
        List<PlannedTensor> t = new ArrayList<>();
        long e = s.embeddingLength;
        matrix(t, "token_embd.weight", type, e, s.vocabSize);
        for (int l = 0; l < s.layers; l++) {
            String b = "blk." + l + ".";
            vector(t, b + "attn_norm.weight", e);
            if (s.architecture.equals("phi3")) {
                matrix(t, b + "attn_qkv.weight", type, e, s.queryWidth() + 2L * s.kvWidth());
            } else {
                matrix(t, b + "attn_q.weight", type, e, s.queryWidth());
                matrix(t, b + "attn_k.weight", type, e, s.kvWidth());
                matrix(t, b + "attn_v.weight", type, e, s.kvWidth());
                if (s.qkvBias) {
                    vector(t, b + "attn_q.bias", s.queryWidth());
                    vector(t, b + "attn_k.bias", s.kvWidth());
                    vector(t, b + "attn_v.bias", s.kvWidth());
                }
            }
            if (s.architecture.equals("gemma3")) {
                vector(t, b + "attn_q_norm.weight", s.headDim);
                vector(t, b + "attn_k_norm.weight", s.headDim);
            }
            matrix(t, b + "attn_output.weight", type, s.queryWidth(), e);
            if (s.architecture.equals("gemma3")) {
                vector(t, b + "post_attention_norm.weight", e);
            }
            vector(t, b + "ffn_norm.weight", e);
            if (s.architecture.equals("phi3")) {
                matrix(t, b + "ffn_up.weight", type, e, 2L * s.feedForwardLength);
            } else {
                matrix(t, b + "ffn_gate.weight", type, e, s.feedForwardLength);
                matrix(t, b + "ffn_up.weight", type, e, s.feedForwardLength);
            }
            matrix(t, b + "ffn_down.weight", type, s.feedForwardLength, e);
            if (s.architecture.equals("gemma3")) {
                vector(t, b + "post_ffw_norm.weight", e);
            }
        }
        vector(t, "output_norm.weight", e);
        if (!s.tied) {
            matrix(t, "output.weight", type, e, s.vocabSize);
        }
        return t;
    }

    /** Writes the model and returns the file's size. */
    public static long write(RealShape s, TensorType type, Path out) throws IOException {
        Vocabulary vocab = Vocabulary.padded(Words.TINY, s.controlTokens, s.vocabSize);
        String a = s.architecture + ".";
        GgufWriter w = new GgufWriter()
                .string("general.architecture", s.architecture)
                .string("general.name", "gpufleet-shape-" + s.cliName)
                .uint32("general.file_type", type.fileType)
                .alignment(GgufWriter.DEFAULT_ALIGNMENT)
                .uint32(a + "vocab_size", s.vocabSize)
                .uint32(a + "context_length", s.contextLength)
                .uint32(a + "embedding_length", s.embeddingLength)
                .uint32(a + "block_count", s.layers)
                .uint32(a + "feed_forward_length", s.feedForwardLength)
                .uint32(a + "attention.head_count", s.headCount)
                .uint32(a + "attention.head_count_kv", s.headCountKv)
                .uint32(a + "attention.key_length", s.headDim)
                .uint32(a + "attention.value_length", s.headDim)
                .uint32(a + "rope.dimension_count", s.headDim)
                .float32(a + "rope.freq_base", s.ropeFreqBase)
                .float32(a + "attention.layer_norm_rms_epsilon", s.rmsEpsilon);
        if (s.slidingWindow > 0) {
            w.uint32(a + "attention.sliding_window", s.slidingWindow);
        }
        w.string("tokenizer.ggml.model", "llama")
                .stringArray("tokenizer.ggml.tokens", vocab.tokens())
                .float32Array("tokenizer.ggml.scores", vocab.scores())
                .int32Array("tokenizer.ggml.token_type", vocab.tokenTypes())
                .uint32("tokenizer.ggml.bos_token_id", Vocabulary.BOS_ID)
                .uint32("tokenizer.ggml.eos_token_id", Vocabulary.EOS_ID)
                .uint32("tokenizer.ggml.unknown_token_id", Vocabulary.UNKNOWN_ID);
        for (PlannedTensor t : tensors(s, type)) {
            long count = t.elements();
            boolean norm = t.dims().length == 1 && t.name().endsWith(".weight");
            w.tensor(t.name(), t.type(), sink -> {
                for (long i = 0; i < count; i++) {
                    // norms near 1, everything else small and varied so quantization has something to fit
                    sink.put(norm ? 1f : 0.02f * ((i * 7919 % 17) - 8) / 8f);
                }
            }, t.dims());
        }
        return w.write(out);
    }

    private static void matrix(List<PlannedTensor> t, String name, TensorType type, long columns, long rows) {
        TensorType chosen = columns % type.blockSize() == 0 ? type : TensorType.Q8_0;
        t.add(new PlannedTensor(name, chosen, new long[] {columns, rows}));
    }

    private static void vector(List<PlannedTensor> t, String name, long length) {
        t.add(new PlannedTensor(name, TensorType.F32, new long[] {length}));
    }
}
