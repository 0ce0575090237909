package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.Envelope;
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

/** Keeps {@code scheduler.worker} from the heartbeats on gpufleet.workers. */
@ApplicationScoped
public class WorkerConsumer {
    private static final Logger LOG = Logger.getLogger(WorkerConsumer.class);

    private final EventIntake intake;
    private final Clock clock;
    private final WorkerStateListener listener;
    private final Map<String, List<String>> lastReasons = new ConcurrentHashMap<>();

    public WorkerConsumer(EventIntake intake, Clock clock, WorkerStateListener listener) {
        this.intake = intake;
        this.clock = clock;
        this.listener = listener;
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
        return intake.inTransaction(record, "Applying heartbeat of worker " + event.key(), () -> apply(event))
                .chain(becameReady -> becameReady ? listener.workersChanged() : Uni.createFrom().voidItem());
    }

    /**
     * The heartbeat time is when this service received it, not the agent's {@code occurredAt}: a worker whose
     * clock lags would otherwise look dead forever. Run in a transaction. Returns whether the worker became READY
     * or came back from UNREACHABLE.
     */
    Uni<Boolean> apply(Envelope<WorkerReported> event) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        return Worker.<Worker>findById(event.payload().workerId(), LockModeType.PESSIMISTIC_WRITE).chain(held -> {
            if (held != null && !Revisions.isNewer(held.revision, event.revision())) {
                LOG.debugf("Worker %s: revision %d is not newer than %d, ignored", event.payload().workerId(),
                        event.revision(), held.revision);
                return Uni.createFrom().item(false);
            }
            HeartbeatValidation.Verdict verdict = HeartbeatValidation.check(event.payload(), held == null ? null
                    : new HeartbeatValidation.Held(held.name, held.address,
                    held.gpus == null ? List.of() : held.gpus.devices(), held.state, held.lastHeartbeatAt,
                    held.heartbeatIntervalSeconds), now);
            logReasons(event.payload().workerId(), verdict);
            if (!verdict.accepted()) {
                return Uni.createFrom().item(false);
            }
            WorkerReported report = verdict.heartbeat();
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
            worker.heartbeatIntervalSeconds = report.heartbeatIntervalSeconds() > 0
                    ? report.heartbeatIntervalSeconds() : WorkerLiveness.DEFAULT_INTERVAL_SECONDS;
            worker.lastHeartbeatAt = now;
            worker.state = WorkerLiveness.withCordon(
                    WorkerLiveness.stateOf(report.state(), now, worker.heartbeatIntervalSeconds, now),
                    worker.cordoned);
            worker.revision = event.revision();
            worker.updatedAt = now;
            if (before != worker.state) {
                LOG.infof("Worker %s (%s) is %s%s", worker.id, worker.name, worker.state,
                        before == null ? " (new)" : " (was " + before + ")");
            }
            boolean changed = before != worker.state
                    && (worker.state == WorkerState.READY || before == WorkerState.UNREACHABLE);
            if (held == null) {
                worker.createdAt = now;
                return worker.persist().replaceWith(changed);
            }
            return Uni.createFrom().item(changed);
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
