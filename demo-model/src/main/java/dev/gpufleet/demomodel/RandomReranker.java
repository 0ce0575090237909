package dev.gpufleet.demomodel;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A BERT cross-encoder GGUF with random weights and a classification head ({@code cls}, {@code cls.output}) that
 * llama.cpp loads with rank pooling: it scores a query against each document, as a reranker does. The scores are
 * random but real: each comes from a forward pass over {@code [BOS] query [EOS] [SEP] document [EOS]}, so different
 * documents get different scores. The vocabulary is the demo words' (the WordPiece tokenizer finds the same pieces
 * with their leading word boundary). Deterministic: the same preset, type and seed give a byte-identical file.
 */
public final class RandomReranker {
    /** llama.cpp's {@code LLAMA_POOLING_TYPE_RANK}. */
    static final int POOLING_RANK = 4;
    private static final int TOKEN_TYPES = 2;
    private static final float WEIGHT_STD = 0.1f;
    private static final float EMBEDDING_STD = 1.0f;

    private RandomReranker() {
    }

    public static long write(Preset preset, TensorType type, long seed, Path out) throws IOException {
        return writer(preset, type, seed).write(out);
    }

    static GgufWriter writer(Preset p, TensorType type, long seed) {
        Vocabulary vocab = Vocabulary.wordPiece(p.words);
        int nVocab = vocab.size();
        int nEmbd = p.embeddingLength;
        int nFf = p.feedForwardLength;
        String arch = "bert";
        GgufWriter w = new GgufWriter()
                .string("general.architecture", arch)
                .string("general.name", p.modelName)
                .uint32("general.file_type", type.fileType)
                .alignment(GgufWriter.DEFAULT_ALIGNMENT)
                .uint32(arch + ".context_length", p.contextLength)
                .uint32(arch + ".embedding_length", nEmbd)
                .uint32(arch + ".block_count", p.blockCount)
                .uint32(arch + ".feed_forward_length", nFf)
                .uint32(arch + ".attention.head_count", p.headCount)
                .float32(arch + ".attention.layer_norm_epsilon", 1e-12f)
                .bool(arch + ".attention.causal", false)
                .uint32(arch + ".pooling_type", POOLING_RANK)
                .string("tokenizer.ggml.model", "bert")
                .stringArray("tokenizer.ggml.tokens", vocab.tokens())
                .float32Array("tokenizer.ggml.scores", vocab.scores())
                .int32Array("tokenizer.ggml.token_type", vocab.tokenTypes())
                .uint32("tokenizer.ggml.token_type_count", TOKEN_TYPES)
                // the reranking input is [BOS] query [EOS] [SEP] document [EOS]: all three must exist
                .uint32("tokenizer.ggml.bos_token_id", Vocabulary.BOS_ID)
                .uint32("tokenizer.ggml.eos_token_id", Vocabulary.EOS_ID)
                .uint32("tokenizer.ggml.seperator_token_id", Vocabulary.EOS_ID)
                .uint32("tokenizer.ggml.cls_token_id", Vocabulary.BOS_ID)
                .uint32("tokenizer.ggml.padding_token_id", Vocabulary.UNKNOWN_ID)
                .uint32("tokenizer.ggml.unknown_token_id", Vocabulary.UNKNOWN_ID)
                .bool("tokenizer.ggml.add_bos_token", true)
                .bool("tokenizer.ggml.add_eos_token", true);

        RandomLlamaModel.Xorshift rng = new RandomLlamaModel.Xorshift(seed);
        w.tensor("token_embd.weight", type, uniform(rng, (long) nEmbd * nVocab, EMBEDDING_STD), nEmbd, nVocab);
        w.tensor("token_types.weight", TensorType.F32, uniform(rng, (long) nEmbd * TOKEN_TYPES, WEIGHT_STD), nEmbd,
                TOKEN_TYPES);
        w.tensor("position_embd.weight", TensorType.F32, uniform(rng, (long) nEmbd * p.contextLength, WEIGHT_STD),
                nEmbd, p.contextLength);
        w.tensor("token_embd_norm.weight", TensorType.F32, constant(nEmbd, 1f), nEmbd);
        w.tensor("token_embd_norm.bias", TensorType.F32, constant(nEmbd, 0f), nEmbd);
        for (int l = 0; l < p.blockCount; l++) {
            String b = "blk." + l + ".";
            for (String m : new String[]{"attn_q", "attn_k", "attn_v", "attn_output"}) {
                w.tensor(b + m + ".weight", type, uniform(rng, (long) nEmbd * nEmbd, WEIGHT_STD), nEmbd, nEmbd);
                w.tensor(b + m + ".bias", TensorType.F32, uniform(rng, nEmbd, WEIGHT_STD), nEmbd);
            }
            w.tensor(b + "attn_output_norm.weight", TensorType.F32, constant(nEmbd, 1f), nEmbd);
            w.tensor(b + "attn_output_norm.bias", TensorType.F32, constant(nEmbd, 0f), nEmbd);
            w.tensor(b + "ffn_up.weight", type, uniform(rng, (long) nEmbd * nFf, WEIGHT_STD), nEmbd, nFf);
            w.tensor(b + "ffn_up.bias", TensorType.F32, uniform(rng, nFf, WEIGHT_STD), nFf);
            w.tensor(b + "ffn_down.weight", type, uniform(rng, (long) nFf * nEmbd, WEIGHT_STD), nFf, nEmbd);
            w.tensor(b + "ffn_down.bias", TensorType.F32, uniform(rng, nEmbd, WEIGHT_STD), nEmbd);
            w.tensor(b + "layer_output_norm.weight", TensorType.F32, constant(nEmbd, 1f), nEmbd);
            w.tensor(b + "layer_output_norm.bias", TensorType.F32, constant(nEmbd, 0f), nEmbd);
        }
        // the classification head: dense + tanh, then one output (the relevance score)
        w.tensor("cls.weight", type, uniform(rng, (long) nEmbd * nEmbd, WEIGHT_STD), nEmbd, nEmbd);
        w.tensor("cls.bias", TensorType.F32, uniform(rng, nEmbd, WEIGHT_STD), nEmbd);
        w.tensor("cls.output.weight", TensorType.F32, uniform(rng, nEmbd, 1f), nEmbd, 1);
        w.tensor("cls.output.bias", TensorType.F32, constant(1, 0f), 1);
        return w;
    }

    private static GgufWriter.TensorData constant(int n, float value) {
        return sink -> {
            for (int i = 0; i < n; i++) {
                sink.put(value);
            }
        };
    }

    private static GgufWriter.TensorData uniform(RandomLlamaModel.Xorshift rng, long n, float std) {
        float a = (float) (std * Math.sqrt(3));
        return sink -> {
            for (long i = 0; i < n; i++) {
                sink.put((rng.nextFloat() * 2f - 1f) * a);
            }
        };
    }
}
