package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ResourceEstimate;

/** What the registry knows about a model's files: the analysis state and, when it has one, an estimate. */
public record Analysis(ModelAnalysis analysis, ResourceEstimate estimate) {
}
