package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.Revisions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The scheduler's latest word on every instance, from {@code gpufleet.instances}: all of them, not only this
 * worker's, so that an instance moving away from this worker is seen. Rebuilt by reading the compacted topic from
 * its beginning on every start. A message changes an entry only when its revision is newer than the one held.
 *
 * <p>A deleted instance (its {@code InstanceDeleted}, or the tombstone after it) stays as a marker with its
 * revision, so that a late, older {@code InstanceChanged} (one a relay published again during a hand-over) cannot
 * bring it back and start its backend again. Markers are forgotten {@link #DELETED_RETENTION} after the deletion,
 * as long as Kafka keeps a tombstone by default, which bounds them.
 */
public final class InstanceTable {
    public enum Outcome { APPLIED, STALE, NOT_AN_INSTANCE_EVENT }

    static final Duration DELETED_RETENTION = Duration.ofHours(24);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(1);

    /**
     * @param instance  null once the instance was deleted (kept so that older messages cannot revive it)
     * @param deletedAt when this table learnt of the deletion; null while the instance lives
     */
    record Entry(long revision, InstanceChanged instance, Instant deletedAt) {
    }

    private final Map<String, Entry> entries = new HashMap<>();
    private final Clock clock;
    private Instant lastPurge;

    public InstanceTable(Clock clock) {
        this.clock = clock;
        this.lastPurge = clock.instant();
    }

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
        Instant now = clock.instant();
        purgeExpiredMarkers(now);
        Entry held = entries.get(payload.entityId());
        if (!Revisions.isNewer(held == null ? null : held.revision(), envelope.revision())) {
            return Outcome.STALE;
        }
        entries.put(payload.entityId(), new Entry(envelope.revision(), changed, changed == null ? now : null));
        return Outcome.APPLIED;
    }

    /**
     * The compaction marker after {@code InstanceDeleted}: the instance is deleted (if its deletion was missed) and
     * kept as a marker at the revision held.
     */
    public Outcome tombstone(String instanceId) {
        Instant now = clock.instant();
        purgeExpiredMarkers(now);
        Entry held = entries.get(instanceId);
        if (held == null || held.instance() == null) {
            return Outcome.STALE;
        }
        entries.put(instanceId, new Entry(held.revision(), null, now));
        return Outcome.APPLIED;
    }

    /** Deleted instances this table still keeps a marker of. */
    int markers() {
        return (int) entries.values().stream().filter(e -> e.instance() == null).count();
    }

    private void purgeExpiredMarkers(Instant now) {
        if (now.isBefore(lastPurge.plus(PURGE_EVERY))) {
            return;
        }
        lastPurge = now;
        Instant cutoff = now.minus(DELETED_RETENTION);
        entries.values().removeIf(e -> e.instance() == null && !e.deletedAt().isAfter(cutoff));
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
