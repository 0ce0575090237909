package dev.gpufleet.events;

/**
 * Memory a model needs: when placed whole, on the host ({@code ramBytes}, CPU only) and on one GPU
 * ({@code vramBytes}); and the {@code sizing} to size any other shape (null from producers before it existed, or
 * when the registry only knows file sizes).
 */
public record ResourceEstimate(long ramBytes, long vramBytes, ModelSizing sizing) {

    public ResourceEstimate(long ramBytes, long vramBytes) {
        this(ramBytes, vramBytes, null);
    }
}
