package dev.gpufleet.registry.estimate;

/**
 * The llama-box settings that change memory use.
 *
 * @param contextSize  {@code -c}: tokens of KV cache shared by all slots; 0 = the model's own context length
 * @param kvCacheType  {@code --cache-type-k/-v}
 * @param parallel     {@code -np}: slots (each gets one output row per micro-batch)
 * @param batchSize    {@code -b}: logical batch
 * @param ubatchSize   {@code -ub}: physical batch; compute buffers grow with it
 * @param flashAttention {@code -fa}: pads the cache to 256 and avoids the big attention-score matrix
 */
public record LlamaBoxParameters(int contextSize, KvCacheType kvCacheType, int parallel, int batchSize,
        int ubatchSize, boolean flashAttention) {

    /** llama.cpp's defaults: f16 cache, one slot, batch 2048, micro-batch 512, no flash attention. */
    public static LlamaBoxParameters defaults(int contextSize) {
        return new LlamaBoxParameters(contextSize, KvCacheType.F16, 1, 2048, 512, false);
    }

    public LlamaBoxParameters withKvCacheType(KvCacheType type) {
        return new LlamaBoxParameters(contextSize, type, parallel, batchSize, ubatchSize, flashAttention);
    }

    public LlamaBoxParameters withParallel(int slots) {
        return new LlamaBoxParameters(contextSize, kvCacheType, slots, batchSize, ubatchSize, flashAttention);
    }

    public LlamaBoxParameters withUbatchSize(int ubatch) {
        return new LlamaBoxParameters(contextSize, kvCacheType, parallel, batchSize, ubatch, flashAttention);
    }

    public LlamaBoxParameters withFlashAttention(boolean on) {
        return new LlamaBoxParameters(contextSize, kvCacheType, parallel, batchSize, ubatchSize, on);
    }
}
