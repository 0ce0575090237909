package dev.gpufleet.scheduler.placement.score;

import dev.gpufleet.scheduler.placement.ClusterSnapshot;

/**
 * The tie-break for a model's files: the shape searches keep the first of equally good candidates (they replace the
 * best only on a strictly better one), so the workers that already hold the model's files are tried first, each
 * group in its own (worker-id) order. A better fit elsewhere still wins: this decides ties, it filters nothing.
 * Pure.
 */
public final class FilesFirst {
    private FilesFirst() {
    }

    /**
     * @param eligible   worker positions in the snapshot, in the order the filters give
     * @param modelFiles the request's {@link dev.gpufleet.events.ModelFileSet#key(dev.gpufleet.events.ModelSource)},
     *                   or null
     * @return {@code eligible} itself when no worker (or every one) holds the files, else the reordered copy
     */
    public static int[] order(ClusterSnapshot cluster, int[] eligible, String modelFiles) {
        if (modelFiles == null || eligible.length < 2) {
            return eligible;
        }
        int[] ordered = new int[eligible.length];
        int next = 0;
        for (int w : eligible) {
            if (cluster.facts(w).worker().modelFiles().contains(modelFiles)) {
                ordered[next++] = w;
            }
        }
        if (next == 0 || next == eligible.length) {
            return eligible;
        }
        for (int w : eligible) {
            if (!cluster.facts(w).worker().modelFiles().contains(modelFiles)) {
                ordered[next++] = w;
            }
        }
        return ordered;
    }
}
