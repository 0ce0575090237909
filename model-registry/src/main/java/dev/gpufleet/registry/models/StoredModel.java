package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSpec;

import java.time.Instant;
import java.util.UUID;

/** A model as the registry holds it, detached from the persistence session. */
public record StoredModel(UUID id, ModelSpec spec, ModelAnalysis analysis, long revision, Instant createdAt,
                          Instant updatedAt) {
}
