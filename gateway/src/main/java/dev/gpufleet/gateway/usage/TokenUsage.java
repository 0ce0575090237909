package dev.gpufleet.gateway.usage;

/**
 * Tokens one request used, as the backend reported them, or as the gateway estimated them when the backend said
 * none ({@code estimated}, see UsageTap): usage rows keep the two apart, so billing never mixes guesses with counts.
 */
public record TokenUsage(long promptTokens, long completionTokens, boolean estimated) {
    /** Counts the backend reported. */
    public TokenUsage(long promptTokens, long completionTokens) {
        this(promptTokens, completionTokens, false);
    }

    public long totalTokens() {
        return promptTokens + completionTokens;
    }
}
