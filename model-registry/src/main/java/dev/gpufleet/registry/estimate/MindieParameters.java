package dev.gpufleet.registry.estimate;

/**
 * The MindIE settings that change memory use.
 *
 * @param maxSeqLen         {@code --max-seq-len}; 0 = the model's own context length
 * @param maxBatchSize      {@code --max-batch-size}
 * @param cacheBlockSize    {@code --cache-block-size} (tokens per KV block)
 * @param cpuMemSizeGiB     {@code --cpu-mem-size}: host memory for swapped-out KV blocks
 * @param npuMemoryFraction {@code --npu-memory-fraction}: the share of each NPU MindIE may use (0–1]
 * @param devices           NPUs the model is split over (world size)
 */
public record MindieParameters(int maxSeqLen, int maxBatchSize, int cacheBlockSize, int cpuMemSizeGiB,
        double npuMemoryFraction, int devices) {

    /**
     * Assumed when unset: 8192 tokens, batch 200 and blocks of 128 (MindIE), 0.9 of one NPU, and the host cache of
     * the seed's parameter table ({@code --cpu-mem-size} 0: the same default the validator's table and the agent's
     * MindIE config use).
     */
    public static MindieParameters defaults() {
        return new MindieParameters(8192, 200, 128, defaultCpuMemSizeGiB(), 0.9, 1);
    }

    /** {@code --cpu-mem-size}'s default, read from the one table of MindIE's parameters. */
    public static int defaultCpuMemSizeGiB() {
        return dev.gpufleet.registry.backends.MindieParameters.FLAGS.stream()
                .filter(f -> f.names().contains("--cpu-mem-size")).findFirst()
                .map(f -> Integer.parseInt(f.defaultValue())).orElseThrow();
    }
}
