package dev.gpufleet.events;

/**
 * Result of analysing a model's files: {@code PENDING → ANALYZED | FAILED(message)}; {@code facts} once analysed
 * (null before, on failure, and when only file sizes are known).
 */
public record ModelAnalysis(State state, String message, ModelFacts facts) {
    public enum State { PENDING, ANALYZED, FAILED }

    public ModelAnalysis(State state, String message) {
        this(state, message, null);
    }

    public static ModelAnalysis pending() {
        return new ModelAnalysis(State.PENDING, null);
    }
}
