package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;
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

/** Marks workers UNREACHABLE when their heartbeats stop (see {@link WorkerLiveness}). */
@ApplicationScoped
public class HeartbeatCheck {
    private static final Logger LOG = Logger.getLogger(HeartbeatCheck.class);

    private final Clock clock;
    private final WorkerStateListener listener;
    private final Leadership leadership;
    /** When this process began checking; see {@link WorkerLiveness#stateOf(WorkerState, Instant, int, Instant, Instant)}. */
    private final Instant startedAt;

    private final LeaderFence fence;

    public HeartbeatCheck(Clock clock, WorkerStateListener listener, Leadership leadership, LeaderFence fence) {
        this.fence = fence;
        this.clock = clock;
        this.listener = listener;
        this.leadership = leadership;
        this.startedAt = clock.instant();
    }

    @Scheduled(every = "${gpufleet.scheduler.worker-check-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = LeaderOnly.class)
    Uni<Void> run() {
        return Panache.withTransaction(() -> fence.check().chain(this::markSilentWorkersUnreachable))
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
        Instant checkingSince = since != null && since.isAfter(startedAt) ? since : startedAt;
        return Worker.<Worker>list("state in ?1",
                        List.of(WorkerState.READY, WorkerState.NOT_READY, WorkerState.MAINTENANCE))
                .chain(workers -> {
                    Uni<Integer> marked = Uni.createFrom().item(0);
                    for (Worker worker : workers) {
                        if (WorkerLiveness.stateOf(worker.reportedState, worker.lastHeartbeatAt,
                                worker.heartbeatIntervalSeconds, checkingSince, now) != WorkerState.UNREACHABLE) {
                            continue;
                        }
                        // conditional on the heartbeat we judged: one that arrived meanwhile wins
                        marked = marked.chain(count -> Worker.update("state = ?1, updatedAt = ?2 where id = ?3"
                                        + " and lastHeartbeatAt = ?4 and state <> ?1", WorkerState.UNREACHABLE, now,
                                        worker.id, worker.lastHeartbeatAt)
                                .invoke(updated -> {
                                    if (updated > 0) {
                                        LOG.infof("Worker %s (%s) is UNREACHABLE: no heartbeat since %s (interval %ds)",
                                                worker.id, worker.name, worker.lastHeartbeatAt,
                                                worker.heartbeatIntervalSeconds);
                                    }
                                })
                                .map(updated -> count + updated));
                    }
                    return marked;
                });
    }
}
