package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.Revisions;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduler's latest word on every instance, from {@code gpufleet.instances}: all of them, not only this
 * worker's, so that an instance moving away from this worker is seen. Rebuilt by reading the compacted topic from
 * its beginning on every start. A message changes an entry only when its revision is newer than the one held.
 */
public final class InstanceTable {
    public enum Outcome { APPLIED, STALE, NOT_AN_INSTANCE_EVENT }

    /** @param instance null once the instance was deleted (kept so that older messages cannot revive it) */
    record Entry(long revision, InstanceChanged instance) {
    }

    private final Map<String, Entry> entries = new HashMap<>();

    public Outcome apply(Envelope<? extends EventPayload> envelope) {
        EventPayload payload = envelope.payload();
        InstanceChanged changed;
        if (payload instanceof InstanceChanged) {
            changed = (InstanceChanged) payload;
        } else if (payload instanceof InstanceDeleted) {
            changed = null;
        } else {
            return Outcome.NOT_AN_INSTANCE_EVENT;
        }
        Entry held = entries.get(payload.entityId());
        if (!Revisions.isNewer(held == null ? null : held.revision(), envelope.revision())) {
            return Outcome.STALE;
        }
        entries.put(payload.entityId(), new Entry(envelope.revision(), changed));
        return Outcome.APPLIED;
    }

    /**
     * The compaction marker after {@code InstanceDeleted}. Nothing of this key can follow it on the partition, so
     * the entry is dropped altogether.
     */
    public Outcome tombstone(String instanceId) {
        return entries.remove(instanceId) == null ? Outcome.STALE : Outcome.APPLIED;
    }

    /** The instance as last published; empty when it is unknown or deleted. */
    public Optional<InstanceChanged> current(String instanceId) {
        Entry entry = entries.get(instanceId);
        return entry == null ? Optional.empty() : Optional.ofNullable(entry.instance());
    }

    /** Every instance that is not deleted, by id. */
    public Map<String, InstanceChanged> live() {
        Map<String, InstanceChanged> live = new HashMap<>();
        entries.forEach((id, entry) -> {
            if (entry.instance() != null) {
                live.put(id, entry.instance());
            }
        });
        return live;
    }
}
