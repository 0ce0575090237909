package dev.gpufleet.scheduler.instances;

import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.scheduler.leadership.LeaderOnly;
import dev.gpufleet.scheduler.leadership.WorkNotice;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import dev.gpufleet.scheduler.workers.WorkerStateListener;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Re-checks every model whose instances need something (replicas out of step, PENDING ones to place, restarts
 * due, workers lost or back), so that nothing depends on an event having been handled at exactly the right
 * moment. Runs periodically and whenever a worker turns READY or UNREACHABLE, on the leader only; a follower
 * that sees a worker change asks the leader to run it ({@link WorkNotice}).
 */
@ApplicationScoped
public class PeriodicReconciliation implements WorkerStateListener {
    private static final Logger LOG = Logger.getLogger(PeriodicReconciliation.class);

    private final InstanceReconciler reconciler;
    private final InstanceEventRelay relay;
    private final WorkNotice notice;

    public PeriodicReconciliation(InstanceReconciler reconciler, InstanceEventRelay relay, WorkNotice notice) {
        this.reconciler = reconciler;
        this.relay = relay;
        this.notice = notice;
    }

    @Scheduled(every = "${gpufleet.scheduler.reconcile-interval}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            skipExecutionIf = LeaderOnly.class)
    Uni<Void> periodically() {
        return reconcileAll();
    }

    /** Reconciles every model needing work; never fails. */
    public Uni<Void> reconcileAll() {
        return Panache.withSession(reconciler::modelsNeedingWork)
                .chain(this::reconcileEach)
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("Periodic reconciliation failed, next run retries: %s", e.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    @Override
    public Uni<Void> workersChanged() {
        if (notice.isLeader()) {
            return reconcileAll();
        }
        return Panache.withSession(notice::wakeLeaderForAll)
                .onFailure().recoverWithUni(e -> {
                    LOG.warnf("Could not wake the leader, its periodic reconciliation catches up: %s", e.toString());
                    return Uni.createFrom().voidItem();
                });
    }

    private Uni<Void> reconcileEach(List<String> modelIds) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String modelId : modelIds) {
            // one transaction per model: a failing model does not hold back the others; none once leading ended
            chain = chain.chain(() -> !notice.isLeader() ? Uni.createFrom().voidItem()
                    : Transactions.run(() -> reconciler.reconcile(modelId))
                    .invoke(changed -> {
                        if (changed) {
                            relay.wakeUp();
                        }
                    })
                    .onFailure().recoverWithItem(e -> {
                        LOG.warnf("Reconciling model %s failed, next run retries: %s", modelId, e.toString());
                        return false;
                    })
                    .replaceWithVoid());
        }
        return chain;
    }
}
