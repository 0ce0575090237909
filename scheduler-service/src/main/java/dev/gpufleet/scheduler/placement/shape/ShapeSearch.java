package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.Backend;
import dev.gpufleet.scheduler.placement.PlacementRequest;
import dev.gpufleet.scheduler.placement.filter.SelectedGpus;

/**
 * The shapes tried for a backend, in GPUStack's order; the first kind that yields any candidate wins, and within a
 * kind the fewest devices (or the most offloaded layers), then the best score, then the lower worker id and GPU
 * index. llama-box: one GPU → a tensor split over GPUs of one worker → RPC servers across workers (distributed
 * inference) → partial offload (CPU offloading) → CPU only; vLLM: one worker → Ray across workers; MindIE: one
 * worker → across workers; vox-box: one GPU → CPU only.
 */
public final class ShapeSearch {
    private ShapeSearch() {
    }

    /** The winning candidate on the eligible workers, or null when none fits. */
    public static Candidate automatic(SearchSpace s, PlacementRequest request) {
        Needs needs = s.needs();
        Candidate best = null;
        switch (s.backend()) {
            case LLAMA_BOX -> {
                best = WholeModelShapes.singleGpu(s);
                if (best == null && needs.layered() != null) {
                    best = LayeredShapes.multiGpu(s);
                }
                if (best == null && needs.layered() != null && request.distributedInference()) {
                    best = LayeredShapes.rpc(s);
                }
                if (best == null && needs.layered() != null && request.cpuOffloading()) {
                    best = LayeredShapes.partialOffload(s);
                }
                if (best == null && needs.cpuAllowed()) {
                    best = WholeModelShapes.cpuOnly(s);
                }
            }
            case VLLM, MINDIE -> {
                if (needs.sharded() == null) {
                    best = WholeModelShapes.singleGpu(s);
                } else {
                    best = ShardedShapes.onOneWorker(s);
                    if (best == null && request.distributedInference()) {
                        best = DeviceGroupSearch.search(s, s.backend() == Backend.VLLM
                                ? GroupRules.RAY : GroupRules.MINDIE);
                    }
                }
            }
            case VOX_BOX -> {
                best = WholeModelShapes.singleGpu(s);
                if (best == null && needs.cpuAllowed()) {
                    best = WholeModelShapes.cpuOnly(s);
                }
            }
        }
        return best;
    }

    /**
     * Exactly the GPUs of a manual selection on the eligible workers; it may fall short of memory (see
     * {@link Candidate#shortfalls()}) or be impossible. Null when the selection names workers the filters left out.
     */
    public static Candidate manual(SearchSpace s, SelectedGpus selected, PlacementRequest request) {
        return new ManualShapes(s, selected, request.cpuOffloading()).candidate();
    }
}
