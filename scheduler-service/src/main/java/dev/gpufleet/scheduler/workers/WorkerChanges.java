package dev.gpufleet.scheduler.workers;

import io.smallrye.mutiny.Uni;

import java.util.Collection;

/**
 * Told, inside the transaction, of the workers it stores, so that what is kept of them beside the database (the
 * leader's capacity view) follows once it commits. The instances capability implements it. Run in a transaction of
 * {@code persistence.Transactions#run}.
 */
public interface WorkerChanges {
    /** These workers, as they will be committed. */
    Uni<Void> storedInTransaction(Collection<Worker> workers);

    /** Workers changed by a bulk update, by id. */
    Uni<Void> storedByIdInTransaction(Collection<String> workerIds);
}
