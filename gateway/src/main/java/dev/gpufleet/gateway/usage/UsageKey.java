package dev.gpufleet.gateway.usage;

import java.time.LocalDate;

/**
 * What usage is counted by: an API key's id (never the key), the model name, the UTC day, and whether the counts
 * are the gateway's estimates (the backend reported none) rather than the backend's.
 */
public record UsageKey(String keyId, String model, LocalDate day, boolean estimated) {
    /** Counts the backends reported. */
    public UsageKey(String keyId, String model, LocalDate day) {
        this(keyId, model, day, false);
    }
}
