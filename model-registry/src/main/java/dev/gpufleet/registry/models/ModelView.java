package dev.gpufleet.registry.models;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A registered model as the admin API returns it: the spec with defaults applied, plus what the registry adds. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ModelView(
        UUID id,
        String name,
        SourceView source,
        String backend,
        String backendVersion,
        List<String> backendParameters,
        Map<String, String> env,
        int replicas,
        List<String> categories,
        String placementStrategy,
        boolean cpuOffloading,
        boolean distributedInference,
        Map<String, String> workerSelector,
        List<String> gpuSelector,
        boolean restartOnError,
        boolean allowUnknownParameters,
        boolean allowOvercommit,
        AnalysisView analysis,
        EstimateView estimate,
        long revision,
        Instant createdAt,
        Instant updatedAt,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> warnings) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SourceView(String type, String repoId, String fileName, String revision, String modelId,
                             String filePath, String path) {
        static SourceView of(ModelSource s) {
            return new SourceView(s.type(), s.repoId(), s.fileName(), s.revision(), s.modelId(), s.filePath(),
                    s.path());
        }
    }

    /** @param facts what analysis found (architecture, layers, heads, context, ...); absent until analysed */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record AnalysisView(String state, String message, FactsView facts) {
        public static AnalysisView of(ModelAnalysis a) {
            return new AnalysisView(a.state().name(), a.message(), FactsView.of(a.facts()));
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record FactsView(String architecture, String quantization, long parameterCount, int layers,
                            int headCount, int headCountKv, int embeddingLength, int contextLength, long weightBytes,
                            boolean embeddingModel, boolean rerankerModel, String mmprojFile) {
        static FactsView of(ModelFacts f) {
            return f == null ? null : new FactsView(f.architecture(), f.quantization(), f.parameterCount(),
                    f.layers(), f.headCount(), f.headCountKv(), f.embeddingLength(), f.contextLength(),
                    f.weightBytes(), f.embeddingModel(), f.rerankerModel(), f.mmprojFile());
        }
    }

    /** What the model needs when placed whole, in bytes. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record EstimateView(long ramBytes, long vramBytes) {
        public static EstimateView of(ResourceEstimate e) {
            return e == null ? null : new EstimateView(e.ramBytes(), e.vramBytes());
        }
    }

    static ModelView of(StoredModel m) {
        ModelSpec s = m.spec();
        return new ModelView(m.id(), s.name(), SourceView.of(s.source()), s.backend(), s.backendVersion(),
                s.backendParameters(), s.env(), s.replicas(), s.categories(), s.placementStrategy(),
                s.cpuOffloading(), s.distributedInference(), s.workerSelector(), s.gpuSelector(),
                s.restartOnError(), s.allowUnknownParameters(), s.allowOvercommit(), AnalysisView.of(m.analysis()), EstimateView.of(m.estimate()), m.revision(),
                m.createdAt(), m.updatedAt(), List.of());
    }

    /**
     * The same view with what the write was accepted with but looks wrong (e.g. a backend flag newer than our
     * tables, or a typo); only in the answer to that create or update.
     */
    ModelView withWarnings(List<FieldError> found) {
        return new ModelView(id, name, source, backend, backendVersion, backendParameters, env, replicas, categories,
                placementStrategy, cpuOffloading, distributedInference, workerSelector, gpuSelector, restartOnError,
                allowUnknownParameters, allowOvercommit, analysis, estimate, revision, createdAt, updatedAt, found.stream().map(FieldError::toString).toList());
    }
}
