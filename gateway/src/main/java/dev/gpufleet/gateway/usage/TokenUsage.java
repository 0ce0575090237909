package dev.gpufleet.gateway.usage;

/** Tokens one request used, as the backend reported them (or as the gateway estimated them, see UsageTap). */
public record TokenUsage(long promptTokens, long completionTokens) {
    public long totalTokens() {
        return promptTokens + completionTokens;
    }
}
