package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.ClusterSnapshot;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.score.Scoring;

/**
 * What every shape search reads: the snapshot, the positions of the workers the filters let through (in worker-id
 * order, those that hold the model's files first: {@link dev.gpufleet.scheduler.placement.score.FilesFirst}), the
 * request's needs and how candidates are scored.
 */
public record SearchSpace(ClusterSnapshot cluster, int[] eligible, Needs needs, Scoring scoring) {

    public WorkerFacts facts(int position) {
        return cluster.facts(position);
    }

    public Backend backend() {
        return needs.backend();
    }

    /** Whether the backend can use the GPU at position {@code g} of the worker. */
    public boolean canUse(WorkerFacts f, int g) {
        return needs.backend().canUse(f, g);
    }
}
