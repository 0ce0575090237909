package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.score.Scoring;

/** vLLM or MindIE on devices of one worker. */
final class ShardedShapes {
    private ShardedShapes() {
    }

    /** n devices of one worker, n ascending over the counts the engine allows; the best score within a count. */
    static Candidate onOneWorker(SearchSpace s) {
        Needs needs = s.needs();
        ShardedSizing sharded = needs.sharded();
        int maxGpus = 0;
        for (int w : s.eligible()) {
            maxGpus = Math.max(maxGpus, s.facts(w).gpuCount());
        }
        for (int n = 1; n <= maxGpus; n++) {
            if (!needs.allowsDeviceCount(n)) {
                continue;
            }
            long perDevice = sharded.perDeviceBytes(n);
            Candidate best = null;
            for (int w : s.eligible()) {
                WorkerFacts f = s.facts(w);
                if (f.gpuCount() < n || f.allocRam() < needs.singleRam()
                        || DeviceFit.SHARD.count(s, f, perDevice, n) < n) {
                    continue;
                }
                int[] chosen = DeviceFit.SHARD.pick(s, f, n, perDevice);
                long[] claims = claims(needs, f, chosen);
                double score = s.scoring().score(Scoring.gpusUtil(f, chosen, claims));
                if (best == null || score > best.score()) {
                    best = Candidate.on(n == 1 ? PlacementShape.Kind.SINGLE_GPU : PlacementShape.Kind.MULTI_GPU, w,
                            chosen, claims, needs.singleRam()).score(score).tensorParallel(n).build();
                }
            }
            if (best != null) {
                return best;
            }
        }
        return null;
    }

    /** The engine's claim on each of these devices of one worker. */
    static long[] claims(Needs needs, WorkerFacts f, int[] gpus) {
        long[] claims = new long[gpus.length];
        for (int i = 0; i < gpus.length; i++) {
            claims[i] = needs.shardClaim(f.gpu(gpus[i]), gpus.length);
        }
        return claims;
    }
}
