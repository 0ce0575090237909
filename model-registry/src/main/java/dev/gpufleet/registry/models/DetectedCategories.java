package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.events.ModelSpec;

import java.util.List;

/**
 * A spec that names no {@code categories} gets the one analysis found: {@code reranker} for a cross-encoder,
 * {@code embedding} for a pooling model. The categories travel in the spec to the scheduler and into the launch
 * plan, where they turn on llama-box's {@code --rerank} / {@code --embeddings} and the gateway's routes. Categories
 * the user set are kept as they are.
 */
public final class DetectedCategories {
    public static final String RERANKER = "reranker";
    public static final String EMBEDDING = "embedding";

    private DetectedCategories() {
    }

    /** What analysis says the model is; empty when it found neither (or has no facts yet). */
    public static List<String> of(ModelAnalysis analysis) {
        ModelFacts facts = analysis == null ? null : analysis.facts();
        if (facts == null) {
            return List.of();
        }
        if (facts.rerankerModel()) {
            return List.of(RERANKER);
        }
        return facts.embeddingModel() ? List.of(EMBEDDING) : List.of();
    }

    /** The spec with the detected categories when it names none; otherwise the spec itself. */
    public static ModelSpec apply(ModelSpec spec, ModelAnalysis analysis) {
        List<String> detected = of(analysis);
        if (!spec.categories().isEmpty() || detected.isEmpty()) {
            return spec;
        }
        return new ModelSpec(spec.name(), spec.source(), spec.backend(), spec.backendVersion(),
                spec.backendParameters(), spec.env(), spec.replicas(), detected, spec.placementStrategy(),
                spec.cpuOffloading(), spec.distributedInference(), spec.workerSelector(), spec.gpuSelector(),
                spec.restartOnError(), spec.allowUnknownParameters(), spec.allowOvercommit());
    }
}
