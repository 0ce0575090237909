package dev.gpufleet.gateway.usage;

import java.time.LocalDate;

/** What usage is counted by: an API key's id (never the key), the model name, and the UTC day. */
public record UsageKey(String keyId, String model, LocalDate day) {
}
