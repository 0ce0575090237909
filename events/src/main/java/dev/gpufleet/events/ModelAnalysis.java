package dev.gpufleet.events;

/** Result of analysing a model's files: {@code PENDING → ANALYZED | FAILED(message)}. */
public record ModelAnalysis(State state, String message) {
    public enum State { PENDING, ANALYZED, FAILED }

    public static ModelAnalysis pending() {
        return new ModelAnalysis(State.PENDING, null);
    }
}
