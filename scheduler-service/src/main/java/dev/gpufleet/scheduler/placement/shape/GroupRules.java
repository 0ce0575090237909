package dev.gpufleet.scheduler.placement.shape;

import dev.gpufleet.scheduler.placement.WorkerFacts;

/** What differs between the sharded engines' groups across workers ({@link DeviceGroupSearch}). */
public enum GroupRules {
    /** vLLM with Ray: any world size the heads allow, up to 8 GPUs a worker; Ray's ports allow one group a worker. */
    RAY(64),
    /**
     * MindIE across workers (GPUStack's {@code initialize_later}): k workers lend L NPUs each, L and k powers of two,
     * so the world size is one too and must divide the attention heads (MindIE's tensor parallel size is the world
     * size); L is at most the largest power of two ≤ the most NPUs a worker has. Only NPUs with a device IP can be
     * listed in the rank table, and a worker takes part in one such instance (its {@code multiNodesInferPort} is
     * fixed).
     */
    MINDIE(128);

    private final int maxWorldSize;

    GroupRules(int maxWorldSize) {
        this.maxWorldSize = maxWorldSize;
    }

    /** The largest world size tried. */
    public int maxWorldSize() {
        return maxWorldSize;
    }

    int nextWorldSize(int world) {
        return this == RAY ? world + 1 : world << 1;
    }

    /** The most devices a worker lends to a group of {@code world}, given the most any eligible worker has. */
    int mostPerWorker(int world, int maxLocal) {
        return this == RAY ? Math.min(8, world / 2) : Integer.highestOneBit(Math.min(maxLocal, world / 2));
    }

    int fewerPerWorker(int n) {
        return this == RAY ? n - 1 : n >> 1;
    }

    DeviceFit deviceFit() {
        return this == RAY ? DeviceFit.SHARD : DeviceFit.RANK_TABLE;
    }

    /** Whether the worker is in no group of this kind yet. */
    boolean free(WorkerFacts f) {
        return this == RAY ? f.worker().distributedVllmModels().isEmpty()
                : f.worker().distributedMindieModels().isEmpty();
    }

    /** Ray: the devices of one worker; MindIE: the world size. */
    int tensorParallel(int workers, int perWorker) {
        return this == RAY ? perWorker : workers * perWorker;
    }

    /** Ray: the workers; MindIE: 1. */
    int pipelineParallel(int workers) {
        return this == RAY ? workers : 1;
    }
}
