package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.WorkerFacts;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How a claim or a model's layers are divided over several devices. */
final class Splits {
    private Splits() {
    }

    /** {@code total} over {@code n} devices, rounded up. */
    static long[] evenly(long total, int n) {
        long[] out = new long[n];
        Arrays.fill(out, (total + n - 1) / n);
        return out;
    }

    /** llama-box tensor-split shares ∝ each GPU's allocatable VRAM (at least 1 byte), to four decimals. */
    static List<Double> byAllocatable(WorkerFacts f, int[] gpus) {
        double sum = 0;
        for (int g : gpus) {
            sum += Math.max(1, f.alloc(g));
        }
        List<Double> shares = new ArrayList<>(gpus.length);
        for (int g : gpus) {
            shares.add(round(Math.max(1, f.alloc(g)) / sum));
        }
        return shares;
    }

    static double round(double share) {
        return Math.round(share * 10_000) / 10_000.0;
    }
}
