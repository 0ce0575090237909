package dev.gpufleet.events;

import java.time.Instant;

/**
 * A model was created or changed; carries its whole current spec, analysis and estimate (nullable).
 *
 * @param createdAt when the model was registered; the same in every change of the model, so a consumer that
 *                  reads a compacted topic (where the first change is gone) still knows it. Null only in
 *                  messages from producers older than this field.
 */
public record ModelChanged(String modelId, ModelSpec spec, ModelAnalysis analysis, ResourceEstimate estimate,
                           Instant createdAt) implements EventPayload {
    @Override
    public String entityId() {
        return modelId;
    }
}
