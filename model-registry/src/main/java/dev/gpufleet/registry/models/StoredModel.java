package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;

import java.time.Instant;
import java.util.UUID;

/** A model as the registry holds it, detached from the persistence session. */
public record StoredModel(UUID id, ModelSpec spec, ModelAnalysis analysis, ResourceEstimate estimate, long revision,
                          Instant createdAt, Instant updatedAt) {
}
