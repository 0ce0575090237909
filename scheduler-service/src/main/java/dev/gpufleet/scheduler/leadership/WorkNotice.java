package dev.gpufleet.scheduler.leadership;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * How a follower hands work to the leader: {@code NOTIFY scheduler_work, '<model id>'} in the caller's
 * transaction, so the leader hears of it only once what it must act on has committed (and never if it rolled
 * back). The leader LISTENs on its leadership connection ({@link Leadership}).
 */
@ApplicationScoped
public class WorkNotice {
    private final Leadership leadership;

    public WorkNotice(Leadership leadership) {
        this.leadership = leadership;
    }

    public boolean isLeader() {
        return leadership.isLeader();
    }

    /** Asks the leader to reconcile this model; run in a session or transaction. */
    public Uni<Void> wakeLeader(String modelId) {
        return Panache.getSession().chain(session -> session
                .createNativeQuery("SELECT count(*) FROM (SELECT pg_notify(?1, ?2)) notified", Long.class)
                .setParameter(1, Leadership.CHANNEL)
                .setParameter(2, modelId)
                .getSingleResult()).replaceWithVoid();
    }

    /** Asks the leader to reconcile every model needing work; run in a session or transaction. */
    public Uni<Void> wakeLeaderForAll() {
        return wakeLeader(Leadership.ALL_MODELS);
    }
}
