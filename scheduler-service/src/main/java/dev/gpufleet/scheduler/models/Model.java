package dev.gpufleet.scheduler.models;

import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;

/** A model as last seen on gpufleet.models; {@code deleted} rows keep their revision against late messages. */
@Entity
@Table(name = "model")
public class Model extends PanacheEntityBase {
    @Id
    public String id;
    public String name;
    /** Null only for a model this service learnt about through its deletion. */
    @JdbcTypeCode(SqlTypes.JSON)
    public ModelSpec spec;
    /** The registry's estimate; null until it has one. */
    @JdbcTypeCode(SqlTypes.JSON)
    public ResourceEstimate estimate;
    public int replicas;
    public boolean deleted;
    public long revision;
    public Instant updatedAt;
}
