package dev.gpufleet.worker.backend;

/**
 * What MindIE across workers needs from this worker's settings ({@code gpufleet.worker.mindie.*}).
 *
 * @param multiNodesInferPort the port MindIE's nodes talk to each other on ({@code multiNodesInferPort} of its
 *                            config); the same on every worker, since each node's config names it
 */
public record MindieSettings(int multiNodesInferPort) {
    /** MindIE's own default. */
    public static final MindieSettings DEFAULT = new MindieSettings(1120);
}
