package dev.gpufleet.scheduler.workers;

import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.SchedulerConfig;
import dev.gpufleet.scheduler.leadership.LeaderFence;
import dev.gpufleet.scheduler.leadership.LeaderOnly;
import dev.gpufleet.scheduler.leadership.Leadership;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Marks workers UNREACHABLE when their own heartbeats stop, not when the pipe does ({@link FleetLiveness} decides,
 * with the pipe's health from {@link HeartbeatPipeMonitor}). Leader only; remembers a mass silence between checks.
 */
@ApplicationScoped
public class HeartbeatCheck {
    private static final Logger LOG = Logger.getLogger(HeartbeatCheck.class);

    private final Clock clock;
    private final WorkerStateListener listener;
    private final WorkerChanges workerChanges;
    private final Leadership leadership;
    private final HeartbeatPipeMonitor pipe;
    private final LeaderFence fence;
    private final FleetLiveness.Settings settings;
    /** When this process began checking: heartbeats sent before may still wait in Kafka. */
    private final Instant startedAt;
    private FleetLiveness.Memory memory = FleetLiveness.Memory.NONE;
    private FleetLiveness.Hold lastHold = FleetLiveness.Hold.NONE;

    public HeartbeatCheck(Clock clock, WorkerStateListener listener, Leadership leadership, HeartbeatPipeMonitor pipe,
                          SchedulerConfig config, LeaderFence fence, WorkerChanges workerChanges) {
        this.workerChanges = workerChanges;
        this.fence = fence;
        this.clock = clock;
        this.listener = listener;
        this.leadership = leadership;
        this.pipe = pipe;
        this.settings = new FleetLiveness.Settings(config.massSilenceFraction(), config.massSilenceMinimum(),
                config.massSilenceHold());
        this.startedAt = clock.instant();
    }

    @Scheduled(every = "${gpufleet.scheduler.worker-check-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = LeaderOnly.class)
    Uni<Void> run() {
        return Transactions.run(() -> fence.check().chain(this::markSilentWorkersUnreachable))
                .onFailure().recoverWithItem(e -> {
                    LOG.warnf("Heartbeat check failed, next run retries: %s", e.toString());
                    return 0;
                })
                .chain(marked -> marked > 0 ? listener.workersChanged() : Uni.createFrom().voidItem());
    }

    /** Returns how many workers became UNREACHABLE; run in a transaction. */
    public Uni<Integer> markSilentWorkersUnreachable() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        // a new leader gives workers the same grace as a restarted scheduler: heartbeats on partitions the old
        // leader consumed may be late while the consumer group rebalances
        Instant since = leadership.leaderSince();
        Instant watchingSince = since != null && since.isAfter(startedAt) ? since : startedAt;
        Instant pipeHealthySince = pipe.healthySince();
        // judged as of the last probe that found the pipe healthy, not now: had the broker stopped just after it,
        // a worker would look silent for as long as the next probe takes to notice
        Instant healthyAt = pipe.healthyAt();
        Instant judgedAt = healthyAt != null ? healthyAt : now;
        // the columns judged, not whole entities: at fleet size their JSON columns (inventory, instances) would be
        // parsed, copied for dirty checking and compared at the commit, thousands of rows every run
        return Panache.getSession().chain(session -> session.createSelectionQuery("select w.id, w.name, w.state,"
                                + " w.reportedState, w.lastHeartbeatAt, w.heartbeatIntervalSeconds, w.revision"
                                + " from Worker w where w.state in (:states)", Object[].class)
                        .setParameter("states", List.of(WorkerState.READY, WorkerState.NOT_READY,
                                WorkerState.MAINTENANCE))
                        .getResultList())
                .map(rows -> rows.stream().map(Judged::of).toList())
                .chain(workers -> {
                    FleetLiveness.Verdict verdict = FleetLiveness.judge(workers.stream()
                                    .map(w -> new FleetLiveness.Watched(w.id(), w.state(), w.reportedState(),
                                            w.lastHeartbeatAt(), w.heartbeatIntervalSeconds())).toList(),
                            pipeHealthySince, watchingSince, memory, settings, judgedAt);
                    memory = verdict.memory();
                    record(verdict);
                    Map<String, Judged> byId = workers.stream()
                            .collect(Collectors.toMap(Judged::id, Function.identity()));
                    List<String> markedIds = new java.util.ArrayList<>();
                    Uni<Integer> marked = Uni.createFrom().item(0);
                    for (String id : verdict.lost()) {
                        Judged worker = byId.get(id);
                        // conditional on the heartbeat we judged: one that arrived meanwhile wins
                        marked = marked.chain(count -> Worker.update("state = ?1, updatedAt = ?2 where id = ?3"
                                        + " and revision = ?4 and state <> ?1", WorkerState.UNREACHABLE, now,
                                        worker.id(), worker.revision())
                                .invoke(updated -> {
                                    if (updated > 0) {
                                        markedIds.add(worker.id());
                                        LOG.infof("Worker %s (%s) is UNREACHABLE: not heard since %s (interval %ds)",
                                                worker.id(), worker.name(), worker.lastHeartbeatAt(),
                                                worker.heartbeatIntervalSeconds());
                                    }
                                })
                                .map(updated -> count + updated));
                    }
                    return marked.call(() -> workerChanges.storedByIdInTransaction(markedIds));
                });
    }

    private record Judged(String id, String name, WorkerState state, WorkerState reportedState,
                          Instant lastHeartbeatAt, int heartbeatIntervalSeconds, long revision) {
        static Judged of(Object[] row) {
            return new Judged((String) row[0], (String) row[1], (WorkerState) row[2], (WorkerState) row[3],
                    (Instant) row[4], (Integer) row[5], (Long) row[6]);
        }
    }

    private void record(FleetLiveness.Verdict verdict) {
        String detail = switch (verdict.hold()) {
            case NONE -> "";
            case PIPE -> "the heartbeat pipe is " + (pipe.current() ? pipe.state().status() : "not probed lately")
                    + " (" + pipe.state().detail() + ")";
            case MASS_SILENCE -> verdict.silent() + " of " + verdict.inService()
                    + " workers in service fell silent together, taken for a failing pipe for up to "
                    + settings.massSilenceHold().toSeconds() + "s";
            case MASS_SILENCE_TAKEN_AS_REAL -> verdict.silent() + " of " + verdict.inService()
                    + " workers have been silent together for more than " + settings.massSilenceHold().toSeconds()
                    + "s: taken as lost";
        };
        pipe.recordHold(verdict.hold(), detail);
        if (verdict.hold() == lastHold) {
            return;
        }
        if (verdict.hold() == FleetLiveness.Hold.MASS_SILENCE) {
            LOG.warnf("Marking no worker UNREACHABLE: %s", detail);
        } else if (verdict.hold() == FleetLiveness.Hold.MASS_SILENCE_TAKEN_AS_REAL) {
            LOG.warnf("Marking silent workers UNREACHABLE again: %s", detail);
        } else if (verdict.hold() == FleetLiveness.Hold.NONE) {
            LOG.infof("Judging workers by their heartbeats again (was: %s)", lastHold);
        }
        lastHold = verdict.hold();
    }
}
