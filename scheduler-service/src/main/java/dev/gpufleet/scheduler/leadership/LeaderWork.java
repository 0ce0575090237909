package dev.gpufleet.scheduler.leadership;

import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.scheduler.instances.InstanceReconciler;
import dev.gpufleet.scheduler.instances.PeriodicReconciliation;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.function.Supplier;

/**
 * What starts and stops with leadership: the outbox relay runs only on the leader; on becoming leader every model
 * needing work is reconciled (what the old leader left half done, and what followers asked for meanwhile); a
 * follower's NOTIFY makes the leader reconcile that model at once and relay what it wrote.
 */
@ApplicationScoped
public class LeaderWork implements Leadership.Listener {
    private static final Logger LOG = Logger.getLogger(LeaderWork.class);

    private final Leadership leadership;
    private final InstanceEventRelay relay;
    private final InstanceReconciler reconciler;
    private final PeriodicReconciliation periodic;
    private final Vertx vertx;

    public LeaderWork(Leadership leadership, InstanceEventRelay relay, InstanceReconciler reconciler,
                      PeriodicReconciliation periodic, Vertx vertx) {
        this.leadership = leadership;
        this.relay = relay;
        this.reconciler = reconciler;
        this.periodic = periodic;
        this.vertx = vertx;
    }

    // after Leadership's own startup observer (default priority), so its first attempt has been made
    void register(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 600) StartupEvent ignored) {
        leadership.addListener(this);
    }

    @Override
    public void leadershipChanged(boolean leader) {
        if (leader) {
            relay.start();
            onContext(periodic::reconcileAll);
        } else {
            relay.stop();
        }
    }

    @Override
    public void workRequested(Set<String> modelIds) {
        if (modelIds.contains(Leadership.ALL_MODELS)) {
            onContext(periodic::reconcileAll);
            return;
        }
        for (String modelId : modelIds) {
            onContext(() -> Transactions.run(() -> reconciler.reconcile(modelId))
                    .invoke(() -> relay.wakeUp()) // the follower may have written outbox rows of its own
                    .onFailure().recoverWithItem(e -> {
                        LOG.warnf("Reconciling model %s on request failed, periodic reconciliation retries: %s",
                                modelId, e.toString());
                        return false;
                    })
                    .replaceWithVoid());
        }
    }

    /** Hibernate Reactive sessions live on a Vert.x context; this thread has none. */
    private void onContext(Supplier<Uni<Void>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(ignored -> work.get().subscribe().with(
                done -> { },
                e -> LOG.warnf("Leader work failed, periodic reconciliation retries: %s", e.toString())));
    }
}
