package dev.gpufleet.scheduler.placement.score;

import dev.gpufleet.scheduler.placement.PlacementRequest.Strategy;
import dev.gpufleet.scheduler.placement.WorkerFacts;

/**
 * How candidates are ranked: by the utilisation of the busiest device they use once their claim is added,
 * {@code spread} preferring the lowest, {@code binpack} the highest. Scores run 0–100, higher wins; equal scores
 * keep the candidate found first (the lower worker id, then GPU index).
 */
public final class Scoring {
    private static final Scoring SPREAD = new Scoring(Strategy.SPREAD);
    private static final Scoring BINPACK = new Scoring(Strategy.BINPACK);

    private final Strategy strategy;

    private Scoring(Strategy strategy) {
        this.strategy = strategy;
    }

    public static Scoring of(Strategy strategy) {
        return strategy == Strategy.BINPACK ? BINPACK : SPREAD;
    }

    /** The score of a candidate whose busiest device ends up {@code util} full. */
    public double score(double util) {
        double u = Math.min(1, Math.max(0, util));
        return strategy == Strategy.BINPACK ? 100 * u : 100 * (1 - u);
    }

    /** The GPU position to try {@code rank}-th: most free first, ties by index (binpack: the reverse). */
    public int preferredGpu(WorkerFacts f, int rank) {
        return f.byFree(strategy == Strategy.BINPACK ? f.gpuCount() - 1 - rank : rank);
    }

    /** The share of the GPU's usable memory in use once {@code claim} is added. */
    public static double gpuUtil(WorkerFacts f, int g, long claim) {
        return (double) (f.usable(g) - f.alloc(g) + claim) / f.usable(g);
    }

    /** The utilisation of the busiest of these GPUs once each claim is added. */
    public static double gpusUtil(WorkerFacts f, int[] gpus, long[] vram) {
        double max = 0;
        for (int i = 0; i < gpus.length; i++) {
            max = Math.max(max, gpuUtil(f, gpus[i], vram[i]));
        }
        return max;
    }

    /** The share of the worker's usable RAM in use once {@code ram} is added. */
    public static double ramUtil(WorkerFacts f, long ram) {
        return (double) (f.usableRam() - f.allocRam() + ram) / f.usableRam();
    }
}
