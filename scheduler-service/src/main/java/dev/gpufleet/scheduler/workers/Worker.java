package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.modelfiles.WorkerModelFiles;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

import java.time.Instant;
import java.util.Map;

/** A worker as its latest heartbeat describes it, with the state the scheduler concluded. */
@Entity
@Table(name = "worker")
public class Worker extends PanacheEntityBase {
    @Id
    public String id;
    public String name;
    public String address;
    public int agentPort;
    public String os;
    public String arch;
    @JdbcTypeCode(SqlTypes.JSON)
    public Map<String, String> labels;
    public int cpuCores;
    public double cpuUtilizationPercent;
    public long memoryTotalBytes;
    public long memoryUsedBytes;
    @JdbcTypeCode(SqlTypes.JSON)
    public GpuInventory gpus;
    @JdbcTypeCode(SqlTypes.JSON)
    public ReportedInstances instances;
    /** The engine versions the agent's latest heartbeat listed. */
    @JdbcTypeCode(SqlTypes.JSON)
    public BackendVersions backendVersions;
    /** The engine versions operators registered on this worker by path. */
    @JdbcTypeCode(SqlTypes.JSON)
    public BackendVersions registeredBackendVersions;
    /** The model file sets and the models disk the agent's latest heartbeat listed. */
    @JdbcTypeCode(SqlTypes.JSON)
    public WorkerModelFiles modelFiles;
    /** What the agent says: READY or NOT_READY. */
    @Enumerated(EnumType.STRING)
    public WorkerState reportedState;
    /** What the scheduler concludes, see {@link WorkerLiveness}. */
    @Enumerated(EnumType.STRING)
    public WorkerState state;
    public String stateMessage;
    /** An admin cordoned it: MAINTENANCE, no new placements, until uncordoned (heartbeats do not lift it). */
    public boolean cordoned;
    /** An admin drains it: cordoned, and its instances are replaced elsewhere. */
    public boolean draining;
    /** When the worker was last heard, on this service's clock (see {@link HeartbeatStream}). */
    public Instant lastHeartbeatAt;
    public int heartbeatIntervalSeconds;
    /** The agent run that sent the latest heartbeat, and that heartbeat's number in it; null from older agents. */
    public String agentRunId;
    public Long heartbeatSequence;
    /** The latest heartbeat's {@code occurredAt}, on the agent's clock. */
    public Instant lastOccurredAt;
    public long revision;
    public Instant createdAt;
    public Instant updatedAt;
}
