package dev.gpufleet.gateway.usage;

import java.util.HashMap;
import java.util.Map;

/** Usage counted since the last write, summed per key: many requests become one row to upsert. Thread-safe. */
public final class UsageAggregate {
    private Map<UsageKey, UsageCounts> pending = new HashMap<>();

    public synchronized void add(UsageKey key, UsageCounts counts) {
        pending.merge(key, counts, UsageCounts::plus);
    }

    /** Everything counted so far, which is no longer held here. */
    public synchronized Map<UsageKey, UsageCounts> drain() {
        Map<UsageKey, UsageCounts> drained = pending;
        pending = new HashMap<>();
        return drained;
    }

    /** Puts back what could not be written, added to what came in meanwhile. */
    public synchronized void restore(Map<UsageKey, UsageCounts> unwritten) {
        unwritten.forEach((key, counts) -> pending.merge(key, counts, UsageCounts::plus));
    }

    public synchronized int size() {
        return pending.size();
    }
}
