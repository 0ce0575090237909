package dev.gpufleet.events;

/** A model was created or changed; carries its whole current spec, analysis and estimate (nullable). */
public record ModelChanged(String modelId, ModelSpec spec, ModelAnalysis analysis, ResourceEstimate estimate)
        implements EventPayload {
    @Override
    public String entityId() {
        return modelId;
    }
}
