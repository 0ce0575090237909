package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.Revisions;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.messaging.EventIntake;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps {@code scheduler.worker} from the heartbeats on gpufleet.workers, and has the instances each heartbeat lists
 * reconciled with what is held.
 */
@ApplicationScoped
public class WorkerConsumer {
    private static final Logger LOG = Logger.getLogger(WorkerConsumer.class);

    private final EventIntake intake;
    private final Clock clock;
    private final WorkerStateListener listener;
    private final ListedInstances listedInstances;
    private final Map<String, List<String>> lastReasons = new ConcurrentHashMap<>();

    public WorkerConsumer(EventIntake intake, Clock clock, WorkerStateListener listener,
                          ListedInstances listedInstances) {
        this.intake = intake;
        this.clock = clock;
        this.listener = listener;
        this.listedInstances = listedInstances;
    }

    /** What applying one heartbeat did. */
    record Applied(boolean workersChanged, boolean instancesPublished) {
        static final Applied NOTHING = new Applied(false, false);
    }

    @Incoming("workers")
    public Uni<Void> onWorker(ConsumerRecord<String, String> record) {
        var accepted = intake.accept(record, WorkerReported.class);
        if (accepted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Envelope<WorkerReported> event = accepted.get();
        String problem = problemWith(event.payload());
        if (problem != null) {
            intake.reject(record, problem);
            return Uni.createFrom().voidItem();
        }
        return intake.inTransaction(record, "Applying heartbeat of worker " + event.key(), () -> apply(event),
                        Applied.NOTHING)
                .invoke(applied -> {
                    if (applied.instancesPublished()) {
                        listedInstances.published();
                    }
                })
                .chain(applied -> applied.workersChanged() ? listener.workersChanged() : Uni.createFrom().voidItem());
    }

    /**
     * When the worker was heard is judged by its own heartbeats ({@link HeartbeatStream}), on this service's clock:
     * a heartbeat delivered late counts from when the worker built it, and the agent's clock is never compared
     * with ours (a worker whose clock lags would otherwise look dead forever). Then the instances it lists are
     * reconciled ({@link ListedInstances}). Run in a transaction.
     */
    Uni<Applied> apply(Envelope<WorkerReported> event) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        return Worker.<Worker>findById(event.payload().workerId(), LockModeType.PESSIMISTIC_WRITE).chain(held -> {
            if (held != null && !Revisions.isNewer(held.revision, event.revision())) {
                LOG.debugf("Worker %s: revision %d is not newer than %d, ignored", event.payload().workerId(),
                        event.revision(), held.revision);
                return Uni.createFrom().item(Applied.NOTHING);
            }
            HeartbeatValidation.Verdict verdict = HeartbeatValidation.check(event.payload(), held == null ? null
                    : new HeartbeatValidation.Held(held.name, held.address,
                    held.gpus == null ? List.of() : held.gpus.devices(), held.state, held.lastHeartbeatAt,
                    held.heartbeatIntervalSeconds), now);
            logReasons(event.payload().workerId(), verdict);
            if (!verdict.accepted()) {
                return Uni.createFrom().item(Applied.NOTHING);
            }
            WorkerReported report = verdict.heartbeat();
            int interval = report.heartbeatIntervalSeconds() > 0
                    ? report.heartbeatIntervalSeconds() : WorkerLiveness.DEFAULT_INTERVAL_SECONDS;
            HeartbeatStream.Heard heard = HeartbeatStream.heard(held == null ? null
                            : new HeartbeatStream.Position(held.agentRunId, held.heartbeatSequence,
                            held.lastOccurredAt, held.lastHeartbeatAt),
                    report.agentRunId(), report.heartbeatSequence(), event.occurredAt(), now, interval);
            if (heard.continuity() == HeartbeatStream.Continuity.LATE) {
                LOG.debugf("Worker %s: heartbeat %d arrived late; heard at %s, when it was built",
                        report.workerId(), report.heartbeatSequence(), heard.heardAt());
            } else if (heard.continuity() == HeartbeatStream.Continuity.GAP) {
                LOG.debugf("Worker %s: heartbeat %d follows %d after %s on its own clock", report.workerId(),
                        report.heartbeatSequence(), held.heartbeatSequence, heard.ownSilence());
            }
            List<ObservedInstance> listedBefore = held == null || held.instances == null ? List.of()
                    : held.instances.instances();
            Worker worker = held != null ? held : new Worker();
            WorkerState before = held != null ? held.state : null;
            worker.id = report.workerId();
            worker.name = report.name() == null || report.name().isBlank() ? report.workerId() : report.name();
            worker.address = report.address();
            worker.agentPort = report.agentPort();
            worker.os = report.os();
            worker.arch = report.arch();
            worker.labels = report.labels();
            worker.cpuCores = report.cpuCores();
            worker.cpuUtilizationPercent = report.cpuUtilizationPercent();
            worker.memoryTotalBytes = report.memoryTotalBytes();
            worker.memoryUsedBytes = report.memoryUsedBytes();
            worker.gpus = new GpuInventory(report.gpus());
            worker.instances = new ReportedInstances(report.instances());
            worker.reportedState = report.state();
            worker.stateMessage = report.stateMessage();
            worker.heartbeatIntervalSeconds = interval;
            worker.lastHeartbeatAt = heard.heardAt();
            worker.agentRunId = report.agentRunId();
            worker.heartbeatSequence = report.heartbeatSequence();
            worker.lastOccurredAt = event.occurredAt();
            worker.state = WorkerLiveness.afterHeartbeat(before, report.state(), heard.heardAt(), interval,
                    worker.cordoned, now);
            worker.revision = event.revision();
            worker.updatedAt = now;
            if (before != worker.state) {
                LOG.infof("Worker %s (%s) is %s%s", worker.id, worker.name, worker.state,
                        before == null ? " (new)" : " (was " + before + ")");
            }
            boolean changed = before != worker.state
                    && (worker.state == WorkerState.READY || before == WorkerState.UNREACHABLE);
            Uni<Worker> stored = Uni.createFrom().item(worker);
            if (held == null) {
                worker.createdAt = now;
                stored = worker.persist();
            }
            return stored.chain(() -> listedInstances.listed(worker.id, listedBefore, report.instances()))
                    .map(published -> new Applied(changed, published));
        });
    }

    /**
     * A warning when a worker's corrections or rejection are new, so that one broken agent does not flood the log
     * every few seconds with the same lines.
     */
    private void logReasons(String workerId, HeartbeatValidation.Verdict verdict) {
        List<String> last = verdict.reasons().isEmpty() ? lastReasons.remove(workerId)
                : lastReasons.put(workerId, verdict.reasons());
        if (verdict.reasons().isEmpty() || verdict.reasons().equals(last)) {
            if (!verdict.reasons().isEmpty()) {
                LOG.debugf("Worker %s: heartbeat %s again: %s", workerId,
                        verdict.accepted() ? "corrected" : "rejected", verdict.reasons());
            }
            return;
        }
        LOG.warnf("Worker %s: heartbeat %s: %s", workerId, verdict.accepted() ? "corrected" : "rejected",
                String.join("; ", verdict.reasons()));
    }

    /** Why a well-formed heartbeat still cannot be applied, or null. */
    static String problemWith(WorkerReported report) {
        if (report.state() != WorkerState.READY && report.state() != WorkerState.NOT_READY) {
            return "WorkerReported state must be READY or NOT_READY, was " + report.state();
        }
        return null;
    }
}
