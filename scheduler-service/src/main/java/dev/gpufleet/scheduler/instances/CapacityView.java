package dev.gpufleet.scheduler.instances;

import dev.gpufleet.scheduler.leadership.LeaderFence;
import dev.gpufleet.scheduler.leadership.Leadership;
import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.PlacementSettings;
import dev.gpufleet.scheduler.workers.Worker;
import dev.gpufleet.scheduler.workers.WorkerChanges;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.hibernate.reactive.mutiny.Mutiny;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The leader's capacity view: what placement reads instead of loading every worker and instance for each decision
 * ({@link CapacityLedger}). Built from the database when this scheduler gains leadership (on first use in its
 * epoch at the latest), kept in step by the transactions that change workers and instances, after they commit,
 * and dropped when leadership ends. Changes made while it is being built are kept and applied after, so a build
 * that read the database before one of them committed still ends current. Followers keep no view: the workers they
 * change reach the leader as a {@code NOTIFY} ({@link #storedInTransaction}), and the leader reloads those
 * rows.
 */
@ApplicationScoped
public class CapacityView implements Leadership.Listener, WorkerChanges {
    private static final Logger LOG = Logger.getLogger(CapacityView.class);
    /** Changes kept while a build runs; beyond this the view is simply built again. */
    private static final int MAX_KEPT = 200_000;
    /** PostgreSQL's NOTIFY payload is limited to 8000 bytes. */
    private static final int NOTIFY_PAYLOAD = 7000;

    private final Leadership leadership;
    private final Mutiny.SessionFactory sessions;
    private final Vertx vertx;
    private final CapacityLedger ledger;
    /** The epoch the ledger is current for; -1 while it is not (guarded by this). */
    private long builtEpoch = -1;
    private final List<Consumer<CapacityLedger>> kept = new ArrayList<>();
    private long keptEpoch = -1;
    /** The build under way or done for {@link #buildingEpoch}, shared by whoever waits for it (guarded by this). */
    private Uni<Long> building;
    private long buildingEpoch = -1;

    public CapacityView(Leadership leadership, Mutiny.SessionFactory sessions, Vertx vertx,
                        PlacementSettings settings) {
        this.leadership = leadership;
        this.sessions = sessions;
        this.vertx = vertx;
        this.ledger = new CapacityLedger(settings);
    }

    void register(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 500) StartupEvent ignored) {
        leadership.addListener(this);
    }

    @Override
    public void leadershipChanged(boolean leader) {
        synchronized (this) {
            builtEpoch = -1;
            kept.clear();
            keptEpoch = -1;
            building = null;
            ledger.install(List.of(), List.of());
        }
        if (leader) {
            onContext(() -> ready().replaceWithVoid());
        }
    }

    @Override
    public void workersChanged(Set<String> workerIds) {
        onContext(() -> reload(workerIds));
    }

    /** The epoch this scheduler leads in, once the view is current for it; fails when it does not lead. */
    public Uni<Long> ready() {
        long epoch = leadership.epoch();
        if (epoch < 0) {
            return Uni.createFrom().failure(new LeaderFence.Superseded("scheduler " + leadership.instanceId()
                    + " does not lead; it keeps no capacity view"));
        }
        synchronized (this) {
            if (builtEpoch == epoch) {
                return Uni.createFrom().item(epoch);
            }
            if (keptEpoch != epoch) {
                kept.clear();
                keptEpoch = epoch;
            }
            // placements waiting for the view share one build: each would otherwise hold a connection of the pool
            // while taking another
            if (buildingEpoch != epoch || building == null) {
                buildingEpoch = epoch;
                building = build(epoch).onFailure().invoke(e -> buildFailed(epoch)).memoize().indefinitely();
            }
            // the shared build completes on the context of whoever started it; the caller's transaction (its
            // session, its hooks) lives on the caller's own
            Context caller = Vertx.currentContext();
            return caller == null ? building
                    : building.emitOn(task -> caller.runOnContext(ignored -> task.run()));
        }
    }

    private synchronized void buildFailed(long epoch) {
        if (buildingEpoch == epoch) {
            building = null;
        }
    }

    private Uni<Long> build(long epoch) {
        long started = System.nanoTime();
        // a session of its own: the caller's transaction may have changed instances it has not committed yet
        return sessions.withStatelessSession(session -> session
                .createQuery("from Worker", Worker.class).getResultList()
                .chain(workers -> session.createQuery("from Instance where workerId is not null",
                        Instance.class).getResultList().map(placed -> {
                            install(epoch, workers, placed, started);
                            return epoch;
                        })));
    }

    private synchronized void install(long epoch, List<Worker> workers, List<Instance> placed, long started) {
        if (builtEpoch == epoch) {
            return;
        }
        // no longer current, or changes made meanwhile were dropped (too many kept): the next caller builds again
        if (leadership.epoch() != epoch || keptEpoch != epoch) {
            if (buildingEpoch == epoch) {
                building = null;
            }
            return;
        }
        ledger.install(workers, placed);
        int replayed = kept.size();
        kept.forEach(change -> change.accept(ledger));
        kept.clear();
        builtEpoch = epoch;
        LOG.infof("Capacity view built for epoch %d: %d workers, %d placed instances, %d changes applied after,"
                + " in %d ms", epoch, workers.size(), placed.size(), replayed, (System.nanoTime() - started) / 1_000_000);
    }

    /** Applies a change made in {@code epoch} now, or after the build under way; drops one of another epoch. */
    private synchronized void apply(long epoch, Consumer<CapacityLedger> change) {
        if (epoch < 0) {
            return;
        }
        if (builtEpoch == epoch) {
            change.accept(ledger);
        } else if (keptEpoch == epoch) {
            if (kept.size() >= MAX_KEPT) {
                kept.clear();
                keptEpoch = -1;
                building = null;
                LOG.warnf("Capacity view: more than %d changes while building, building again", MAX_KEPT);
            } else {
                kept.add(change);
            }
        } else if (epoch == leadership.epoch() && builtEpoch < 0 && keptEpoch < 0) {
            keptEpoch = epoch;
            kept.add(change);
        }
    }

    /**
     * Places {@code instanceIds} in order and holds their claims until the caller's transaction ends: kept when it
     * commits, given back when it fails. Run in a transaction of {@link Transactions#run}, after {@link #ready}.
     */
    List<CapacityLedger.Decided> place(long epoch, List<UUID> instanceIds, String modelId, PlacementRequest request) {
        List<CapacityLedger.Decided> decided;
        synchronized (this) {
            if (builtEpoch != epoch) {
                throw new LeaderFence.Superseded("the capacity view is not current for epoch " + epoch);
            }
            decided = ledger.place(instanceIds, modelId, request);
        }
        List<UUID> held = decided.stream().filter(d -> !d.workers().isEmpty()).map(CapacityLedger.Decided::instanceId)
                .toList();
        if (!held.isEmpty()) {
            Transactions.afterCompletion(committed -> {
                if (!committed) {
                    apply(epoch, l -> l.release(held));
                }
            });
        }
        return decided;
    }

    /**
     * Has the view follow instances changed (placed, moved, unplaced) or deleted in the caller's transaction once it
     * commits. Run in a transaction of {@link Transactions#run}, before the changes' claims are held.
     */
    void instancesChangedInTransaction(Collection<Instance> changed, Collection<UUID> deleted) {
        long epoch = leadership.epoch();
        Transactions.afterCompletion(committed -> {
            if (committed && (!changed.isEmpty() || !deleted.isEmpty())) {
                List<Instance> instances = List.copyOf(changed);
                List<UUID> gone = List.copyOf(deleted);
                apply(epoch, l -> l.committed(instances, gone));
            }
        });
    }

    /**
     * Has the view follow workers stored in the caller's transaction: on the leader once it commits; a follower
     * tells the leader with a NOTIFY, which PostgreSQL delivers only if the transaction commits.
     */
    @Override
    public Uni<Void> storedInTransaction(Collection<Worker> workers) {
        if (workers.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        long epoch = leadership.epoch();
        if (epoch >= 0) {
            List<Worker> stored = List.copyOf(workers);
            Transactions.afterCompletion(committed -> {
                if (committed) {
                    apply(epoch, l -> l.workers(stored));
                }
            });
            return Uni.createFrom().voidItem();
        }
        return notifyLeader(workers.stream().map(w -> w.id).toList());
    }

    /** As {@link #storedInTransaction} for workers changed by id (a bulk update): the leader reloads them. */
    @Override
    public Uni<Void> storedByIdInTransaction(Collection<String> workerIds) {
        if (workerIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        if (leadership.epoch() >= 0) {
            Set<String> ids = Set.copyOf(workerIds);
            Transactions.afterCompletion(committed -> {
                if (committed) {
                    onContext(() -> reload(ids));
                }
            });
            return Uni.createFrom().voidItem();
        }
        return notifyLeader(List.copyOf(workerIds));
    }

    private Uni<Void> notifyLeader(List<String> workerIds) {
        List<String> payloads = new ArrayList<>();
        StringBuilder payload = new StringBuilder();
        for (String id : workerIds) {
            if (payload.length() + id.length() + 1 > NOTIFY_PAYLOAD) {
                payloads.add(payload.toString());
                payload.setLength(0);
            }
            payload.append(payload.isEmpty() ? "" : ",").append(id);
        }
        payloads.add(payload.toString());
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (String one : payloads) {
            chain = chain.chain(() -> Panache.getSession().chain(session -> session
                    .createNativeQuery("SELECT count(*) FROM (SELECT pg_notify(?1, ?2)) notified", Long.class)
                    .setParameter(1, Leadership.WORKER_CHANNEL)
                    .setParameter(2, one)
                    .getSingleResult()).replaceWithVoid());
        }
        return chain;
    }

    private Uni<Void> reload(Collection<String> workerIds) {
        long epoch = leadership.epoch();
        if (epoch < 0 || workerIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return sessions.withStatelessSession(session -> session
                        .createQuery("from Worker where id in :ids", Worker.class)
                        .setParameter("ids", List.copyOf(workerIds)).getResultList())
                .invoke(workers -> apply(epoch, l -> l.workers(workers)))
                .onFailure().invoke(e -> invalidate(epoch))
                .replaceWithVoid();
    }

    /** A change could not be followed: the next placement builds the view again. */
    private synchronized void invalidate(long epoch) {
        if (builtEpoch == epoch) {
            builtEpoch = -1;
            keptEpoch = -1;
            kept.clear();
            building = null;
        }
    }

    /** The cluster placement sees now on the leader; null while the view is not current. */
    public synchronized ClusterSnapshot cluster() {
        return builtEpoch >= 0 && builtEpoch == leadership.epoch() ? ledger.cluster() : null;
    }

    /** Claims held by placements whose transaction has not ended. */
    public int tentativeClaims() {
        return ledger.tentativeClaims();
    }

    private void onContext(java.util.function.Supplier<Uni<Void>> work) {
        Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
        io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle.setContextSafe(context, true);
        context.runOnContext(ignored -> work.get().subscribe().with(
                done -> { },
                e -> LOG.warnf("Capacity view update failed; the next placement builds it again if need be: %s",
                        e.toString())));
    }
}
