package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.SubordinateWorker;

import java.util.List;
import java.util.Locale;

/**
 * The kinds of instance across workers that a worker takes part in at most once: each holds ports fixed per worker
 * (Ray's head and worker ports; MindIE's {@code multiNodesInferPort}).
 */
public enum DistributedGroup {
    NONE, VLLM_RAY, MINDIE;

    /** vLLM or MindIE with subordinate workers; anything else (llama-box RPC, one worker) is {@link #NONE}. */
    public static DistributedGroup of(String backend, List<SubordinateWorker> subordinates) {
        if (backend == null || subordinates == null || subordinates.isEmpty()) {
            return NONE;
        }
        return switch (backend.trim().toLowerCase(Locale.ROOT)) {
            case "vllm" -> VLLM_RAY;
            case "mindie" -> MINDIE;
            default -> NONE;
        };
    }
}
