package dev.gpufleet.gateway.usage;

import java.util.HashMap;
import java.util.Map;

/**
 * Usage counted since the last write, summed per key: many requests become one row to upsert. Bounded: at most
 * {@code maxKeys} distinct keys (API key, model, day) are held. Usage for a key already held is always added to it,
 * which keeps the counts exact however long the database is away; only usage for a new key past the bound is
 * refused (the caller counts and logs it). Thread-safe.
 */
public final class UsageAggregate {
    private final int maxKeys;
    private Map<UsageKey, UsageCounts> pending = new HashMap<>();

    public UsageAggregate(int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("gpufleet.gateway.usage.max-pending must be at least 1, was "
                    + maxKeys);
        }
        this.maxKeys = maxKeys;
    }

    /** @return false if it was not kept: a new key while {@code maxKeys} are held */
    public synchronized boolean add(UsageKey key, UsageCounts counts) {
        UsageCounts held = pending.get(key);
        if (held != null) {
            pending.put(key, held.plus(counts));
            return true;
        }
        if (pending.size() >= maxKeys) {
            return false;
        }
        pending.put(key, counts);
        return true;
    }

    /** Everything counted so far, which is no longer held here. */
    public synchronized Map<UsageKey, UsageCounts> drain() {
        Map<UsageKey, UsageCounts> drained = pending;
        pending = new HashMap<>();
        return drained;
    }

    public synchronized int size() {
        return pending.size();
    }
}
