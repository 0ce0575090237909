package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.events.Revisions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the gateway knows about models and instances, built only from {@code gpufleet.models} and
 * {@code gpufleet.instances}. Every change goes through {@link Revisions#isNewer}, so the table is the same
 * whatever the redeliveries, and replaying the topics from offset 0 rebuilds it. A deletion removes the entry
 * from every answer but keeps its revision, so a late, older change cannot bring it back (the tombstone after it
 * changes nothing). These markers are forgotten {@link #DELETED_RETENTION} after this table applied the deletion
 * (Kafka's default tombstone retention), which bounds them.
 *
 * <p>Safe for one writer (the consumers) and many readers (requests): each entry is replaced atomically.
 */
public final class RoutingTable {

    public enum Outcome {
        /** The table changed. */
        APPLIED,
        /** The table already holds this revision or a newer one; nothing changed. */
        STALE,
        /** Not an event this table can use (see {@link #problemWith}); the caller dead-letters it. */
        UNUSABLE
    }

    /**
     * @param created   when this table first saw the model: the {@code occurredAt} of the earliest ModelChanged it
     *                  applied for it (after compaction, the earliest one the topic still holds)
     * @param changedAt the {@code occurredAt} of the change that produced this entry
     * @param deleted   a tombstone: hidden from every answer, kept for its revision
     */
    public record ModelEntry(String modelId, String name, Instant created, Instant changedAt, long revision,
                             boolean deleted) {
    }

    /** @param instance the latest state; null once deleted (then only the revision is kept) */
    public record InstanceEntry(String instanceId, long revision, InstanceChanged instance) {
        public boolean deleted() {
            return instance == null;
        }
    }

    /** Everything held, tombstones included: two tables that agree have equal snapshots. */
    public record Snapshot(Map<String, ModelEntry> models, Map<String, InstanceEntry> instances) {
    }

    static final Duration DELETED_RETENTION = Duration.ofHours(24);
    private static final Duration PURGE_EVERY = Duration.ofMinutes(1);

    private final ConcurrentMap<String, ModelEntry> models = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, InstanceEntry> instances = new ConcurrentHashMap<>();
    /** When each deletion marker was applied, by this table's clock; not part of the snapshot. */
    private final ConcurrentMap<String, Instant> modelsDeletedAt = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Instant> instancesDeletedAt = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Instant lastPurge;
    /** Bumped after every applied change; {@link Views} computed before a bump are not used again. */
    private final AtomicLong version = new AtomicLong();
    private volatile Views views;

    /**
     * The answers requests ask for, computed once per change of the table rather than on each request (changes
     * are rare, requests many).
     */
    private record Views(long version, List<ModelEntry> models, Map<String, ModelEntry> byName,
                         Map<String, List<InstanceChanged>> routableByModelId) {
    }

    public RoutingTable() {
        this(Clock.systemUTC());
    }

    /** @param clock when deletions were applied, for forgetting their markers */
    public RoutingTable(Clock clock) {
        this.clock = clock;
        this.lastPurge = clock.instant();
    }

    public Outcome apply(Envelope<? extends EventPayload> envelope) {
        Instant now = clock.instant();
        boolean purged = purgeExpiredMarkers(now);
        Outcome outcome = applyToMaps(envelope, now);
        if (outcome == Outcome.APPLIED || purged) {
            version.incrementAndGet();
        }
        return outcome;
    }

    /** Forgets deletion markers older than the retention; at most once a minute. Returns whether any went. */
    private boolean purgeExpiredMarkers(Instant now) {
        if (now.isBefore(lastPurge.plus(PURGE_EVERY))) {
            return false;
        }
        lastPurge = now;
        Instant cutoff = now.minus(DELETED_RETENTION);
        return forget(models, modelsDeletedAt, ModelEntry::deleted, cutoff)
                | forget(instances, instancesDeletedAt, InstanceEntry::deleted, cutoff);
    }

    private static <E> boolean forget(ConcurrentMap<String, E> entries, ConcurrentMap<String, Instant> deletedAt,
                                      Predicate<E> isDeleted, Instant cutoff) {
        boolean forgot = false;
        for (Map.Entry<String, Instant> marker : deletedAt.entrySet()) {
            if (marker.getValue().isAfter(cutoff)) {
                continue;
            }
            deletedAt.remove(marker.getKey(), marker.getValue());
            // an entry changed again since (a model registered anew under its id) stays
            boolean[] removed = {false};
            entries.computeIfPresent(marker.getKey(), (id, entry) -> {
                removed[0] = isDeleted.test(entry);
                return removed[0] ? null : entry;
            });
            forgot |= removed[0];
        }
        return forgot;
    }

    /** Deletion markers held (models and instances), for tests. */
    int markers() {
        return (int) (models.values().stream().filter(ModelEntry::deleted).count()
                + instances.values().stream().filter(InstanceEntry::deleted).count());
    }

    private Outcome applyToMaps(Envelope<? extends EventPayload> envelope, Instant now) {
        EventPayload payload = envelope.payload();
        if (problemWith(payload).isPresent()) {
            return Outcome.UNUSABLE;
        }
        if (payload instanceof ModelChanged) {
            ModelChanged changed = (ModelChanged) payload;
            return applyModel(changed.modelId(), envelope.revision(), held -> new ModelEntry(changed.modelId(),
                    changed.spec().name(), createdAt(changed, held, envelope.occurredAt()), envelope.occurredAt(),
                    envelope.revision(), false));
        }
        if (payload instanceof ModelDeleted) {
            ModelDeleted deleted = (ModelDeleted) payload;
            Outcome outcome = applyModel(deleted.modelId(), envelope.revision(), held -> new ModelEntry(
                    deleted.modelId(), held == null ? deleted.name() : held.name(), held == null ? null
                    : held.created(), envelope.occurredAt(), envelope.revision(), true));
            if (outcome == Outcome.APPLIED) {
                modelsDeletedAt.put(deleted.modelId(), now);
            }
            return outcome;
        }
        if (payload instanceof InstanceChanged) {
            InstanceChanged changed = (InstanceChanged) payload;
            return applyInstance(new InstanceEntry(changed.instanceId(), envelope.revision(), changed));
        }
        InstanceDeleted deleted = (InstanceDeleted) payload;
        Outcome outcome = applyInstance(new InstanceEntry(deleted.instanceId(), envelope.revision(), null));
        if (outcome == Outcome.APPLIED) {
            instancesDeletedAt.put(deleted.instanceId(), now);
        }
        return outcome;
    }

    /** Why this table cannot use the payload, if it cannot. */
    public static Optional<String> problemWith(EventPayload payload) {
        if (payload instanceof ModelChanged) {
            ModelChanged changed = (ModelChanged) payload;
            if (changed.spec() == null || changed.spec().name() == null || changed.spec().name().isBlank()) {
                return Optional.of("ModelChanged " + changed.modelId() + " has no spec.name");
            }
            return Optional.empty();
        }
        if (payload instanceof ModelDeleted || payload instanceof InstanceChanged
                || payload instanceof InstanceDeleted) {
            return Optional.empty();
        }
        return Optional.of(payload.getClass().getSimpleName() + " does not belong on a topic the gateway reads");
    }

    private Outcome applyModel(String modelId, long revision, Function<ModelEntry, ModelEntry> next) {
        Outcome[] outcome = {Outcome.STALE};
        models.compute(modelId, (id, held) -> {
            if (held != null && !Revisions.isNewer(held.revision(), revision)) {
                return held;
            }
            outcome[0] = Outcome.APPLIED;
            return next.apply(held);
        });
        return outcome[0];
    }

    /**
     * The registry's creation time when the event carries it; from older producers, the earliest change this
     * table has seen (which compaction can erase, so replicas may then disagree).
     */
    private static Instant createdAt(ModelChanged changed, ModelEntry held, Instant occurredAt) {
        if (changed.createdAt() != null) {
            return changed.createdAt();
        }
        if (held == null || held.deleted() || held.created() == null) {
            return occurredAt;
        }
        return held.created().isBefore(occurredAt) ? held.created() : occurredAt;
    }

    private Outcome applyInstance(InstanceEntry incoming) {
        Outcome[] outcome = {Outcome.STALE};
        instances.compute(incoming.instanceId(), (id, held) -> {
            if (held != null && !Revisions.isNewer(held.revision(), incoming.revision())) {
                return held;
            }
            outcome[0] = Outcome.APPLIED;
            return incoming;
        });
        return outcome[0];
    }

    /**
     * Registered models by name. Names are unique in the registry, but two live ids can share one for a moment
     * (a model deleted and a new one created under its name, read from different partitions); the most recently
     * changed wins.
     */
    public List<ModelEntry> models() {
        return views().models();
    }

    public Optional<ModelEntry> model(String name) {
        return Optional.ofNullable(views().byName().get(name));
    }

    /** The instances the gateway may send requests for this model to: RUNNING with an endpoint (DESIGN §2). */
    public List<InstanceChanged> routableInstances(String modelName) {
        ModelEntry model = views().byName().get(modelName);
        if (model == null) {
            return List.of();
        }
        return views().routableByModelId().getOrDefault(model.modelId(), List.of());
    }

    private Views views() {
        Views held = views;
        long now = version.get();
        if (held != null && held.version() == now) {
            return held;
        }
        // read after the version: what it holds is at least as new as that version
        List<ModelEntry> byNameSorted = models.values().stream()
                .filter(entry -> !entry.deleted())
                .collect(Collectors.toMap(ModelEntry::name, Function.identity(), RoutingTable::newer))
                .values().stream()
                .sorted(Comparator.comparing(ModelEntry::name))
                .toList();
        Map<String, ModelEntry> byName = byNameSorted.stream()
                .collect(Collectors.toUnmodifiableMap(ModelEntry::name, Function.identity()));
        Map<String, List<InstanceChanged>> routable = instances.values().stream()
                .filter(entry -> !entry.deleted())
                .map(InstanceEntry::instance)
                .filter(instance -> instance.modelId() != null && instance.state() == InstanceState.RUNNING
                        && instance.endpoint() != null && !instance.endpoint().isBlank())
                .sorted(Comparator.comparing(InstanceChanged::instanceId))
                .collect(Collectors.groupingBy(InstanceChanged::modelId, Collectors.toUnmodifiableList()));
        Views computed = new Views(now, byNameSorted, byName, Map.copyOf(routable));
        views = computed;
        return computed;
    }

    public Snapshot snapshot() {
        return new Snapshot(Map.copyOf(models), Map.copyOf(instances));
    }

    private static ModelEntry newer(ModelEntry a, ModelEntry b) {
        int byTime = a.changedAt().compareTo(b.changedAt());
        if (byTime != 0) {
            return byTime > 0 ? a : b;
        }
        return a.modelId().compareTo(b.modelId()) >= 0 ? a : b;
    }
}
