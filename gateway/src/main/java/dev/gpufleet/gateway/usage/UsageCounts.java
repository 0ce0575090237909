package dev.gpufleet.gateway.usage;

/** Counts for one {@link UsageKey}. */
public record UsageCounts(long promptTokens, long completionTokens, long requests) {
    public static final UsageCounts ZERO = new UsageCounts(0, 0, 0);

    public UsageCounts plus(UsageCounts other) {
        return new UsageCounts(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                requests + other.requests);
    }
}
