package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.scheduler.placement.WorkerFacts;
import dev.gpufleet.scheduler.placement.score.Scoring;

/** The whole model on one device or on the CPU, the best score winning. */
final class WholeModelShapes {
    private WholeModelShapes() {
    }

    /** The whole model on one GPU (llama-box all layers, vox-box, and any backend without a sizing). */
    static Candidate singleGpu(SearchSpace s) {
        Needs needs = s.needs();
        long vram = needs.singleVram();
        long ram = needs.ramOnGpu() ? needs.singleRam() : 0;
        Candidate best = null;
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (f.maxAlloc() < vram || f.allocRam() < ram) {
                continue;
            }
            for (int g = 0; g < f.gpuCount(); g++) {
                if (!s.canUse(f, g)) {
                    continue;
                }
                long need = needs.measured(f.gpu(g), vram);
                if (f.alloc(g) < need) {
                    continue;
                }
                double score = s.scoring().score(Scoring.gpuUtil(f, g, need));
                if (best == null || score > best.score()) {
                    best = Candidate.on(PlacementShape.Kind.SINGLE_GPU, w, new int[]{g}, new long[]{need}, ram)
                            .score(score).gpuLayers(LayeredSizing.ALL_LAYERS).build();
                }
            }
        }
        return best;
    }

    /** The whole model in RAM: the most RAM left wins (spread). */
    static Candidate cpuOnly(SearchSpace s) {
        long ram = s.needs().cpuRam();
        Candidate best = null;
        for (int w : s.eligible()) {
            WorkerFacts f = s.facts(w);
            if (f.allocRam() < ram) {
                continue;
            }
            double score = s.scoring().score(Scoring.ramUtil(f, ram));
            if (best == null || score > best.score()) {
                best = Candidate.on(PlacementShape.Kind.CPU_ONLY, w, new int[0], new long[0], ram).score(score)
                        .build();
            }
        }
        return best;
    }
}
