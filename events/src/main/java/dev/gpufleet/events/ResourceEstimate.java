package dev.gpufleet.events;

/** Memory a model needs when placed whole: on the host ({@code ramBytes}) and on GPUs ({@code vramBytes}). */
public record ResourceEstimate(long ramBytes, long vramBytes) {
}
