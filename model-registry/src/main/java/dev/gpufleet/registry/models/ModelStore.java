package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.Revisions;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.registry.analysis.Analysis;
import dev.gpufleet.registry.analysis.AnalysisBackoff;
import dev.gpufleet.registry.analysis.AnalysisStep;
import dev.gpufleet.kit.outbox.OutboxMessage;
import dev.gpufleet.kit.outbox.OutboxWriter;
import dev.gpufleet.registry.outbox.ModelEventRelay;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Reads and writes models. Every write changes the row and appends its events to the outbox in one transaction,
 * so an event exists exactly when its change committed. Writes to one model are serialised by a row lock, so
 * revisions never repeat; names are kept unique by the database, so a race between two creates still ends in 409.
 */
@ApplicationScoped
public class ModelStore {
    private static final OutboxWriter OUTBOX = new OutboxWriter(ModelEventRelay.TABLE);

    private final Clock clock;

    public ModelStore(Clock clock) {
        this.clock = clock;
    }

    public Uni<StoredModel> create(ModelSpec spec, Analysis analysis) {
        Instant now = now();
        ModelEntity entity = new ModelEntity();
        entity.id = UUID.randomUUID();
        entity.name = spec.name();
        entity.spec = spec;
        entity.analysed(analysis, now);
        entity.revision = Revisions.first();
        entity.createdAt = now;
        entity.updatedAt = now;
        return Panache.withTransaction(() -> entity.persistAndFlush()
                        .chain(() -> appendToOutbox(List.of(ModelEvents.changed(entity.toStored(), clock))))
                        .map(ignored -> entity.toStored()))
                .onFailure(NameConflicts::isNameConflict).transform(f -> nameTaken(spec.name()));
    }

    public Uni<Optional<StoredModel>> find(UUID id) {
        return Panache.withSession(() -> ModelEntity.<ModelEntity>findById(id))
                .map(entity -> Optional.ofNullable(entity).map(ModelEntity::toStored));
    }

    /** One page of models and how many there are in all. */
    public record Slice(List<StoredModel> items, long total) {
    }

    /**
     * One page of the models ordered by name.
     *
     * @param search a part of the name to look for, case-insensitive; blank for every model
     */
    public Uni<Slice> list(PageRequest request, String search) {
        return Panache.withSession(() -> {
            var query = (search == null || search.isBlank()
                    ? ModelEntity.<ModelEntity>findAll(Sort.by("name"))
                    : ModelEntity.<ModelEntity>find("lower(name) like ?1 escape '\\'", Sort.by("name"),
                            "%" + likeLiteral(search.trim().toLowerCase(java.util.Locale.ROOT)) + "%"))
                    .page(Page.of(request.index(), request.perPage()));
            return query.list().chain(entities -> query.count().map(total -> new Slice(
                    entities.stream().map(ModelEntity::toStored).toList(), total)));
        });
    }

    /** The text as a LIKE pattern that matches only itself. */
    static String likeLiteral(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }

    /** Replaces the whole spec, with the analysis of the new spec's source. */
    public Uni<StoredModel> replace(UUID id, ModelSpec spec, Analysis analysis) {
        return Panache.withTransaction(() -> lockedOrNotFound(id).chain(entity -> {
                    entity.name = spec.name();
                    entity.spec = spec;
                    entity.analysed(analysis, now());
                    entity.revision = entity.revision + 1;
                    entity.updatedAt = now();
                    return entity.<ModelEntity>persistAndFlush()
                            .chain(() -> appendToOutbox(List.of(ModelEvents.changed(entity.toStored(), clock))))
                            .map(ignored -> entity.toStored());
                }))
                .onFailure(NameConflicts::isNameConflict).transform(f -> nameTaken(spec.name()));
    }

    /** Models whose background analysis is due, oldest first. */
    public Uni<List<StoredModel>> dueForAnalysis(int limit) {
        return Panache.withSession(() -> ModelEntity.<ModelEntity>find("analysisDueAt <= ?1",
                        Sort.by("analysisDueAt"), now()).page(Page.ofSize(limit)).list())
                .map(entities -> entities.stream().map(ModelEntity::toStored).toList());
    }

    /**
     * Stores one background analysis try for the model as it was at {@code analysedRevision}; a model changed
     * meanwhile is left alone (its new spec gets its own analysis). Publishes ModelChanged only when what
     * consumers see (analysis or estimate) changed. Returns whether anything was published.
     */
    public Uni<Boolean> recordAnalysis(UUID id, long analysedRevision, AnalysisStep step) {
        return Panache.withTransaction(() -> ModelEntity.<ModelEntity>findById(id, LockModeType.PESSIMISTIC_WRITE)
                .chain(entity -> {
                    if (entity == null || entity.revision != analysedRevision) {
                        return Uni.createFrom().item(false);
                    }
                    Instant now = now();
                    boolean visible = !java.util.Objects.equals(entity.analysis, step.analysis().analysis())
                            || !java.util.Objects.equals(entity.estimate, step.analysis().estimate());
                    ModelSpec detected = DetectedCategories.apply(entity.spec, step.analysis().analysis());
                    visible = visible || !detected.equals(entity.spec);
                    entity.spec = detected;
                    entity.analysis = step.analysis().analysis();
                    entity.estimate = step.analysis().estimate();
                    entity.analysisAttempts = step.retry() ? entity.analysisAttempts + 1 : 0;
                    entity.analysisDueAt = step.retry()
                            ? now.plus(AnalysisBackoff.afterFailures(entity.analysisAttempts)) : null;
                    if (!visible) {
                        return entity.<ModelEntity>persistAndFlush().replaceWith(false);
                    }
                    entity.revision = entity.revision + 1;
                    entity.updatedAt = now;
                    return entity.<ModelEntity>persistAndFlush()
                            .chain(() -> appendToOutbox(List.of(ModelEvents.changed(entity.toStored(), clock))))
                            .replaceWith(true);
                }));
    }

    /** Asks for a new analysis now: PENDING, published, and due for the background analysis at once. */
    public Uni<StoredModel> requestAnalysis(UUID id) {
        return Panache.withTransaction(() -> lockedOrNotFound(id).chain(entity -> {
            Instant now = now();
            entity.analysis = new ModelAnalysis(ModelAnalysis.State.PENDING, "analysis requested");
            entity.analysisAttempts = 0;
            entity.analysisDueAt = now;
            entity.revision = entity.revision + 1;
            entity.updatedAt = now;
            return entity.<ModelEntity>persistAndFlush()
                    .chain(() -> appendToOutbox(List.of(ModelEvents.changed(entity.toStored(), clock))))
                    .map(ignored -> entity.toStored());
        }));
    }

    public Uni<Void> delete(UUID id) {
        return Panache.withTransaction(() -> lockedOrNotFound(id).chain(entity -> {
            StoredModel deleted = entity.toStored();
            return entity.delete().chain(() -> appendToOutbox(ModelEvents.deleted(deleted, clock)));
        }));
    }

    private Uni<ModelEntity> lockedOrNotFound(UUID id) {
        return ModelEntity.<ModelEntity>findById(id, LockModeType.PESSIMISTIC_WRITE)
                .onItem().ifNull().failWith(() -> notFound(id));
    }

    private static Uni<Void> appendToOutbox(List<OutboxMessage> messages) {
        return Panache.getSession().chain(session -> OUTBOX.append(session, messages));
    }

    static ApiException notFound(Object id) {
        return ApiException.notFound("No model with id '" + id + "'");
    }

    private static ApiException nameTaken(String name) {
        return ApiException.conflict("A model named '" + name + "' already exists; names must be unique");
    }

    /** The database keeps microseconds; stamping with that precision keeps responses and reads equal. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
