package dev.gpufleet.scheduler.leadership;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The fence of leader-only work: run first in each of its transactions (reconciling, marking workers
 * UNREACHABLE). It locks the leader row {@code FOR KEY SHARE} where the epoch is still the one this scheduler was
 * granted, or fails with {@link Superseded}. Taking over changes the epoch (a unique key), which needs the row
 * {@code FOR UPDATE}: it waits until every such transaction of the old epoch has ended, and any that starts later
 * finds the new epoch and fails. Renewals change only {@code renewed_at} and are not held up. The epoch is also
 * set for the transaction ({@code gpufleet.leader_epoch}), so the outbox rows it writes carry it.
 */
@ApplicationScoped
public class LeaderFence {
    private static final String CHECK = "SELECT set_config('gpufleet.leader_epoch', epoch::text, true)"
            + " FROM scheduler.leader WHERE id = 1 AND epoch = ?1 FOR KEY SHARE";

    /** A leader-only transaction of a scheduler that does not lead (any more). */
    public static final class Superseded extends IllegalStateException {
        public Superseded(String message) {
            super(message);
        }
    }

    private final Leadership leadership;

    public LeaderFence(Leadership leadership) {
        this.leadership = leadership;
    }

    /** Run in the caller's transaction, before its first write. */
    public Uni<Void> check() {
        long granted = leadership.epoch();
        if (granted < 0) {
            return Uni.createFrom().failure(new Superseded("scheduler " + leadership.instanceId()
                    + " does not lead; leader-only work is not done here"));
        }
        return Panache.getSession().chain(session -> session.createNativeQuery(CHECK, String.class)
                        .setParameter(1, granted)
                        .getResultList())
                .chain(rows -> rows.isEmpty()
                        ? Uni.createFrom().failure(new Superseded("the leader epoch " + granted + " of scheduler "
                        + leadership.instanceId() + " was superseded"))
                        : Uni.createFrom().voidItem());
    }
}
