package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.ObservedInstance;
import io.smallrye.mutiny.Uni;

import java.util.List;

/**
 * Applies what a heartbeat lists about its worker's instances (the instances capability implements it): an
 * observation the heartbeat repeats that is newer than the one held is applied like the event it repeats.
 */
public interface ListedInstances {
    /**
     * In the heartbeat's transaction.
     *
     * @param previous what the previous heartbeat of the worker listed
     * @return whether an InstanceChanged was written
     */
    Uni<Boolean> listed(String workerId, List<ObservedInstance> previous, List<ObservedInstance> current);

    /** After the heartbeat's transaction committed, when {@link #listed} wrote an InstanceChanged. */
    void published();
}
