package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

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
    /** When it entered its current state: restart backoff and the backoff reset count from here. */
    public Instant stateSince;
    public String workerId;
    public String workerName;
    /** Null while PENDING. */
    @JdbcTypeCode(SqlTypes.JSON)
    public Assignment assignment;
    @JdbcTypeCode(SqlTypes.JSON)
    public LaunchPlan launchPlan;
    /** {@code host:port} while RUNNING. */
    public String endpoint;
    public Integer port;
    public Long pid;
    public Double downloadProgress;
    /** The state the worker last reported, applied or not (it is not while the worker is UNREACHABLE). */
    @Enumerated(EnumType.STRING)
    public InstanceState observedState;
    /** Envelope revision of the last InstanceObserved taken in; older ones are ignored. */
    public Long observedRevision;
    /** Restarts after errors, ever; tells the agent's reports of an earlier run from the current one. */
    public int restartCount;
    /** Restarts since it last ran for {@link RestartBackoff#RESET_AFTER}; picks the backoff step. */
    public int recentRestarts;
    /**
     * The instance this one is placed to take over from (make before break); null once that one is stopped, and for
     * every other instance. Not published: agents and gateways treat the two as any two instances of the model.
     */
    public UUID replaces;
    /** Revision of the last InstanceChanged published for it. */
    public long revision;
    public Instant createdAt;
    public Instant updatedAt;
}
