package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.GpuCapacity;
import dev.gpufleet.scheduler.placement.WorkerFacts;

import java.util.Arrays;

/** Which devices of a worker can each take one of a sharded engine's {@code n} shards. */
enum DeviceFit {
    /**
     * One the backend can use, at least the per-device size, with the engine's share of it free (the measured usage
     * counting when the model runs on one device): vLLM and MindIE on one worker, vLLM with Ray.
     */
    SHARD,
    /**
     * As {@link #SHARD}, with a device IP for MindIE's rank table, and always the engine's share of the device:
     * MindIE across workers.
     */
    RANK_TABLE;

    boolean fits(SearchSpace s, WorkerFacts f, int g, long perDevice, int n) {
        GpuCapacity gpu = f.gpu(g);
        return switch (this) {
            case SHARD -> s.canUse(f, g) && gpu.totalBytes() >= perDevice
                    && f.alloc(g) >= s.needs().shardClaim(gpu, n);
            case RANK_TABLE -> gpu.deviceIp() != null && s.canUse(f, g) && gpu.totalBytes() >= perDevice
                    && f.alloc(g) >= s.needs().fullClaim(gpu);
        };
    }

    /** How many of the worker's devices fit. */
    int count(SearchSpace s, WorkerFacts f, long perDevice, int n) {
        int found = 0;
        for (int g = 0; g < f.gpuCount(); g++) {
            if (fits(s, f, g, perDevice, n)) {
                found++;
            }
        }
        return found;
    }

    /** {@code n} devices that fit, in the scoring's order of preference, as ascending positions; null if fewer. */
    int[] pick(SearchSpace s, WorkerFacts f, int n, long perDevice) {
        int[] chosen = new int[n];
        int found = 0;
        for (int j = 0; j < f.gpuCount() && found < n; j++) {
            int g = s.scoring().preferredGpu(f, j);
            if (fits(s, f, g, perDevice, n)) {
                chosen[found++] = g;
            }
        }
        if (found < n) {
            return null;
        }
        Arrays.sort(chosen);
        return chosen;
    }
}
