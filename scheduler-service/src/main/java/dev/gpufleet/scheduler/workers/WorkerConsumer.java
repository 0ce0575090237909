package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.Revisions;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.messaging.EventIntake;
import dev.gpufleet.scheduler.modelfiles.WorkerModelFiles;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

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
    private final WorkerChanges workerChanges;
    private final Map<String, List<String>> lastReasons = new ConcurrentHashMap<>();

    public WorkerConsumer(EventIntake intake, Clock clock, WorkerStateListener listener,
                          ListedInstances listedInstances, WorkerChanges workerChanges) {
        this.workerChanges = workerChanges;
        this.intake = intake;
        this.clock = clock;
        this.listener = listener;
        this.listedInstances = listedInstances;
    }

    /** What applying one heartbeat did. */
    record Applied(boolean workersChanged, boolean instancesPublished) {
        static final Applied NOTHING = new Applied(false, false);

        Applied and(Applied other) {
            return new Applied(workersChanged || other.workersChanged, instancesPublished || other.instancesPublished);
        }
    }

    /**
     * Heartbeats come in batches (all a poll returned): a fleet of thousands sends hundreds a second, and one
     * transaction per heartbeat would spend its time on round trips. The batch is applied in one transaction, the
     * workers' rows loaded and locked together (in id order, as everywhere, so two schedulers or an admin change
     * cannot deadlock with it), each worker's heartbeats applied in their order; should PostgreSQL refuse the batch,
     * its heartbeats are applied one by one, so that only the one at fault is dead-lettered.
     */
    @Incoming("workers")
    public Uni<Void> onWorkers(ConsumerRecords<String, String> records) {
        List<Accepted> batch = new ArrayList<>();
        for (ConsumerRecord<String, String> record : records) {
            var accepted = intake.accept(record, WorkerReported.class);
            if (accepted.isEmpty()) {
                continue;
            }
            String problem = problemWith(accepted.get().payload());
            if (problem != null) {
                intake.reject(record, problem);
                continue;
            }
            batch.add(new Accepted(record, accepted.get()));
        }
        if (batch.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        String what = batch.size() == 1 ? "Applying heartbeat of worker " + batch.get(0).event().key()
                : "Applying " + batch.size() + " heartbeats";
        return intake.inTransaction(what, () -> applyAll(batch), why -> oneByOne(batch))
                .chain(this::afterCommit);
    }

    private record Accepted(ConsumerRecord<String, String> record, Envelope<WorkerReported> event) {
    }

    private Uni<Applied> oneByOne(List<Accepted> batch) {
        return inTurn(batch, one -> intake.inTransaction(one.record(), "Applying heartbeat of worker "
                + one.event().key(), () -> applyAll(List.of(one)), Applied.NOTHING));
    }

    /**
     * Applies each in turn and combines what they did. Concatenated as a stream, not as a chain of Unis: a batch of
     * hundreds whose steps complete at once would nest that many calls deep on the event loop's stack.
     */
    private static <T> Uni<Applied> inTurn(List<T> items, Function<T, Uni<Applied>> step) {
        return Multi.createFrom().iterable(items)
                .onItem().transformToUniAndConcatenate(item -> step.apply(item))
                .collect().in(() -> new Applied[] {Applied.NOTHING}, (sofar, one) -> sofar[0] = sofar[0].and(one))
                .map(sofar -> sofar[0]);
    }

    private Uni<Void> afterCommit(Applied applied) {
        if (applied.instancesPublished()) {
            listedInstances.published();
        }
        return applied.workersChanged() ? listener.workersChanged() : Uni.createFrom().voidItem();
    }

    /** Run in a transaction. */
    Uni<Applied> applyAll(List<Accepted> batch) {
        List<String> ids = batch.stream().map(a -> a.event().payload().workerId()).distinct().sorted().toList();
        return Worker.<Worker>find("id in ?1 order by id", ids).withLock(LockModeType.PESSIMISTIC_WRITE).list()
                .chain(rows -> {
                    Map<String, Worker> held = new HashMap<>();
                    rows.forEach(w -> held.put(w.id, w));
                    return inTurn(batch, one -> apply(held, one.event()))
                            .call(() -> workerChanges.storedInTransaction(held.values()));
                });
    }

    /**
     * When the worker was heard is judged by its own heartbeats ({@link HeartbeatStream}), on this service's clock:
     * a heartbeat delivered late counts from when the worker built it, and the agent's clock is never compared
     * with ours (a worker whose clock lags would otherwise look dead forever). Then the instances it lists are
     * reconciled ({@link ListedInstances}). Run in a transaction.
     */
    private Uni<Applied> apply(Map<String, Worker> rows, Envelope<WorkerReported> event) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Worker held = rows.get(event.payload().workerId());
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
        worker.backendVersions = new BackendVersions(report.backendVersions());
        worker.modelFiles = new WorkerModelFiles(report.modelFiles(), report.modelDirectory());
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
            rows.put(worker.id, worker);
            stored = worker.persist();
        }
        return stored.chain(() -> listedInstances.listed(worker.id, listedBefore, report.instances()))
                .map(published -> new Applied(changed, published));
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
