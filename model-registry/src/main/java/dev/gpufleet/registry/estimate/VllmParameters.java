package dev.gpufleet.registry.estimate;

/**
 * The vLLM settings that change memory use.
 *
 * @param maxModelLen          {@code --max-model-len}; 0 = the model's own context length
 * @param gpuMemoryUtilization {@code --gpu-memory-utilization}: the share of each GPU vLLM preallocates (0–1]
 * @param tensorParallelSize   {@code --tensor-parallel-size}: GPUs the weights and cache are split over
 */
public record VllmParameters(int maxModelLen, double gpuMemoryUtilization, int tensorParallelSize) {

    /** vLLM's defaults: the model's context, 0.9 of the GPU, one GPU. */
    public static VllmParameters defaults() {
        return new VllmParameters(0, 0.9, 1);
    }
}
