package dev.gpufleet.events;

import java.util.List;

/**
 * How an instance is laid out over its devices: what the worker agent turns into the backend's layout flags.
 *
 * @param gpuLayers            llama-box {@code -ngl}: {@link LayeredSizing#ALL_LAYERS} unless layers stay in RAM
 * @param tensorSplit          llama-box {@code --tensor-split} shares: the main worker's GPUs in order, then each
 *                             subordinate worker's (its RPC servers) in order; empty with one GPU or none
 * @param tensorParallelSize   vLLM/MindIE devices per worker (1 for llama-box and vox-box)
 * @param pipelineParallelSize vLLM workers in a Ray group (1 when not distributed)
 */
public record PlacementShape(Kind kind, int gpuLayers, List<Double> tensorSplit, int tensorParallelSize,
                             int pipelineParallelSize) {

    public enum Kind {
        /** Whole model on one GPU. */
        SINGLE_GPU,
        /** Several GPUs of one worker (llama-box tensor split, vLLM tensor parallel, MindIE NPUs). */
        MULTI_GPU,
        /** GPUs of several workers (llama-box RPC servers, vLLM with Ray). */
        DISTRIBUTED,
        /** Some layers on GPUs, the rest in RAM (llama-box). */
        PARTIAL_OFFLOAD,
        /** No GPU. */
        CPU_ONLY
    }

    public PlacementShape {
        tensorSplit = tensorSplit == null ? List.of() : List.copyOf(tensorSplit);
        tensorParallelSize = Math.max(1, tensorParallelSize);
        pipelineParallelSize = Math.max(1, pipelineParallelSize);
    }
}
