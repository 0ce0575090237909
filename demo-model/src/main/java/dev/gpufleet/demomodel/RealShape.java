package dev.gpufleet.demomodel;

import java.util.List;
import java.util.Locale;

/**
 * The exact tensor shapes of a few released models (hyper-parameters from their config.json, tensor names and
 * GGUF keys as llama.cpp's converter writes them), for checking memory estimates against llama.cpp on realistic
 * vocabularies (128–262 k tokens), GQA ratios (4:1 to 8:1) and tied embeddings. {@link ShapedModel} writes them
 * with made-up weights and a padded SentencePiece vocabulary of the exact size.
 *
 * @param architecture   {@code general.architecture} as llama.cpp names it
 * @param headDim        {@code attention.key_length} (= value length); not always width / heads (Gemma)
 * @param tied           no {@code output.weight}: llama.cpp reuses {@code token_embd} as the output matrix
 * @param qkvBias        q, k and v projections carry biases (Qwen2)
 * @param slidingWindow  {@code attention.sliding_window}, 0 when the model has none
 */
public enum RealShape {
    QWEN2_5_0_5B("qwen2.5-0.5b", "qwen2", 24, 896, 14, 2, 64, 4864, 151_936, 32_768, true, true, 1e6f, 1e-6f, 0),
    QWEN2_5_1_5B("qwen2.5-1.5b", "qwen2", 28, 1536, 12, 2, 128, 8960, 151_936, 32_768, true, true, 1e6f, 1e-6f, 0),
    QWEN2_5_3B("qwen2.5-3b", "qwen2", 36, 2048, 16, 2, 128, 11008, 151_936, 32_768, true, true, 1e6f, 1e-6f, 0),
    LLAMA_3_2_1B("llama-3.2-1b", "llama", 16, 2048, 32, 8, 64, 8192, 128_256, 131_072, true, false, 5e5f, 1e-5f,
            0),
    GEMMA_3_1B("gemma-3-1b", "gemma3", 26, 1152, 4, 1, 256, 6912, 262_144, 32_768, true, false, 1e6f, 1e-6f, 512),
    PHI_3_MINI("phi-3-mini-4k", "phi3", 32, 3072, 32, 32, 96, 8192, 32_064, 4096, false, false, 1e4f, 1e-5f, 2047,
            // llama.cpp's vocabulary loader looks Phi-3's chat markers up by their text
            List.of("<|endoftext|>", "<|assistant|>", "<|system|>", "<|end|>", "<|user|>"));

    public final String cliName;
    public final String architecture;
    public final int layers;
    public final int embeddingLength;
    public final int headCount;
    public final int headCountKv;
    public final int headDim;
    public final int feedForwardLength;
    public final int vocabSize;
    public final int contextLength;
    public final boolean tied;
    public final boolean qkvBias;
    public final float ropeFreqBase;
    public final float rmsEpsilon;
    public final int slidingWindow;
    /** Control tokens the vocabulary must hold for llama.cpp to load the architecture. */
    public final List<String> controlTokens;

    RealShape(String cliName, String architecture, int layers, int embeddingLength, int headCount, int headCountKv,
            int headDim, int feedForwardLength, int vocabSize, int contextLength, boolean tied, boolean qkvBias,
            float ropeFreqBase, float rmsEpsilon, int slidingWindow) {
        this(cliName, architecture, layers, embeddingLength, headCount, headCountKv, headDim, feedForwardLength,
                vocabSize, contextLength, tied, qkvBias, ropeFreqBase, rmsEpsilon, slidingWindow, List.of());
    }

    RealShape(String cliName, String architecture, int layers, int embeddingLength, int headCount, int headCountKv,
            int headDim, int feedForwardLength, int vocabSize, int contextLength, boolean tied, boolean qkvBias,
            float ropeFreqBase, float rmsEpsilon, int slidingWindow, List<String> controlTokens) {
        this.cliName = cliName;
        this.architecture = architecture;
        this.layers = layers;
        this.embeddingLength = embeddingLength;
        this.headCount = headCount;
        this.headCountKv = headCountKv;
        this.headDim = headDim;
        this.feedForwardLength = feedForwardLength;
        this.vocabSize = vocabSize;
        this.contextLength = contextLength;
        this.tied = tied;
        this.qkvBias = qkvBias;
        this.ropeFreqBase = ropeFreqBase;
        this.rmsEpsilon = rmsEpsilon;
        this.slidingWindow = slidingWindow;
        this.controlTokens = controlTokens;
    }

    /** Width of the query projection (heads × head size). */
    public int queryWidth() {
        return headCount * headDim;
    }

    /** Width of the key and of the value projection (KV heads × head size). */
    public int kvWidth() {
        return headCountKv * headDim;
    }

    public static RealShape fromCliName(String name) {
        for (RealShape s : values()) {
            if (s.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + name + "'");
    }
}
