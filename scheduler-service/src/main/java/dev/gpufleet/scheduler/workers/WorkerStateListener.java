package dev.gpufleet.scheduler.workers;

import io.smallrye.mutiny.Uni;

/**
 * Told when workers changed state in a way their instances care about: one became READY (PENDING instances may
 * fit now, UNREACHABLE ones are back) or UNREACHABLE (its instances must not be routed to). The instances
 * capability implements it; the returned Uni never fails.
 */
public interface WorkerStateListener {
    Uni<Void> workersChanged();
}
