package dev.gpufleet.demomodel;

import java.util.List;
import java.util.Locale;

/**
 * Model shapes. {@link #TINY} is for tests (0.15 to 0.5 MB, loads in milliseconds). {@link #DEMO} is what
 * {@code ./gpufleet up} serves: the layer shapes of a small real model (512 wide, 8 layers), so that answers
 * stream at a visible pace (about 175 tokens per second on 2 cores) while the file stays small (28 MB as Q8_0,
 * written in a quarter of a second, loaded in under half a second). Its vocabulary holds a few hundred English
 * words, so the word salad it produces reads as words.
 */
public enum Preset {
    TINY("gpufleet-tiny-random", Words.TINY, 64, 2, 4, 4, 128, 256, TensorType.F32),
    DEMO("gpufleet-demo-random", Words.DEMO, 512, 8, 8, 8, 1408, 2048, TensorType.Q8_0),
    /** A BERT cross-encoder with a classification head: a reranker ({@link RandomReranker}). */
    TINY_RERANKER("gpufleet-tiny-reranker", Words.TINY, 64, 2, 4, 4, 128, 512, TensorType.F32);

    public final String modelName;
    public final List<String> words;
    public final int embeddingLength;
    public final int blockCount;
    public final int headCount;
    public final int headCountKv;
    public final int feedForwardLength;
    public final int contextLength;
    public final TensorType defaultType;

    Preset(String modelName, List<String> words, int embeddingLength, int blockCount, int headCount, int headCountKv,
            int feedForwardLength, int contextLength, TensorType defaultType) {
        this.modelName = modelName;
        this.words = words;
        this.embeddingLength = embeddingLength;
        this.blockCount = blockCount;
        this.headCount = headCount;
        this.headCountKv = headCountKv;
        this.feedForwardLength = feedForwardLength;
        this.contextLength = contextLength;
        this.defaultType = defaultType;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether this is a reranker (BERT with rank pooling) rather than a llama text model. */
    public boolean reranker() {
        return this == TINY_RERANKER;
    }

    public static Preset fromCliName(String name) {
        for (Preset p : values()) {
            if (p.cliName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset '" + name + "' (allowed: tiny, demo, tiny-reranker)");
    }
}
