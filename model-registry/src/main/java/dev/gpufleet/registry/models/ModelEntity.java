package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.registry.analysis.Analysis;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.UUID;

/** A row of {@code registry.model}; the spec and analysis are kept whole as JSON, as the events carry them. */
@Entity
@Table(name = "model")
public class ModelEntity extends PanacheEntityBase {
    @Id
    public UUID id;

    /** Copied from the spec so the database enforces unique names. */
    @Column(nullable = false)
    public String name;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public ModelSpec spec;

    @JdbcTypeCode(SqlTypes.JSON)
    @Column(nullable = false)
    public ModelAnalysis analysis;

    /** Null while the registry cannot estimate the model's needs. */
    @JdbcTypeCode(SqlTypes.JSON)
    public ResourceEstimate estimate;

    /** Grows by one with every change; the revision of the event that announced the change. */
    @Column(nullable = false)
    public long revision;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** Failed tries since the last change; decides the backoff before the next one. */
    @Column(name = "analysis_attempts", nullable = false)
    public int analysisAttempts;

    /** When the background analysis should look at this model next; null when nothing is left to do. */
    @Column(name = "analysis_due_at")
    public Instant analysisDueAt;

    /**
     * A new spec's first analysis: final for what the request could settle (a local file), otherwise PENDING and
     * due now for the background analysis (hub sources: the request does not wait on a hub).
     */
    void analysed(Analysis result, Instant now) {
        analysis = result.analysis();
        spec = DetectedCategories.apply(spec, analysis);
        estimate = result.estimate();
        analysisAttempts = 0;
        analysisDueAt = result.analysis().state() == ModelAnalysis.State.PENDING && remoteSource() ? now : null;
    }

    boolean remoteSource() {
        return !dev.gpufleet.events.ModelSource.LOCAL_PATH.equals(spec.source().type());
    }

    StoredModel toStored() {
        return new StoredModel(id, spec, analysis, estimate, revision, createdAt, updatedAt);
    }
}
