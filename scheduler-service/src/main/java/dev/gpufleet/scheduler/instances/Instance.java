package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.UUID;

/** One replica of a model. This service is the single writer; every change is published through the outbox. */
@Entity
@Table(name = "instance")
public class Instance extends PanacheEntityBase {
    @Id
    public UUID id;
    public String name;
    public String modelId;
    public String modelName;
    @Enumerated(EnumType.STRING)
    public InstanceState state;
    public String stateMessage;
    public String workerId;
    public String workerName;
    /** Revision of the last InstanceChanged published for it. */
    public long revision;
    public Instant createdAt;
    public Instant updatedAt;
}
