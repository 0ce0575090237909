package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.auth.Caller;

/**
 * Told once per forwarded request that a backend answered, with the tokens it used. Every CDI bean implementing
 * this is called ({@link UsageMeter} records usage; a token budget can charge the caller). Called on an event loop:
 * an implementation must not block.
 */
public interface UsageListener {
    void used(Caller caller, String model, TokenUsage usage);
}
