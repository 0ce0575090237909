package dev.gpufleet.scheduler.placement;

import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one instance needs.
 *
 * @param modelId             the model the instance serves (one distributed vLLM instance per worker is counted by it)
 * @param backend             {@code llama-box}, {@code vllm}, {@code vox-box}, {@code mindie}
 * @param estimate            null when the registry has none yet; its sizing may be null (then the whole-model
 *                            numbers size a single-GPU or CPU shape)
 * @param gpuSelector         manual GPU selection, {@code <worker-name>:<type>:<index>} each; empty for automatic
 * @param allowOvercommit     with manual GPU selection: place even where the selected GPUs are too small (warned);
 *                            the spec's {@code allow_overcommit}
 * @param measuredVramByProduct VRAM this model was seen using on one GPU of a product name; used when higher than
 *                            the estimate
 * @param parallelism         vLLM's tensor and pipeline parallel sizes the user set in {@code backend_parameters}:
 *                            they decide how many GPUs the instance claims ({@link UserParallelism#NONE} otherwise)
 * @param backendVersion      the engine version the spec asks for; null for the worker's default
 * @param modelFiles          the model source's {@link dev.gpufleet.events.ModelFileSet#key(dev.gpufleet.events.ModelSource)}:
 *                            among equally good placements, a worker that has these files wins; null for none
 */
public record PlacementRequest(String modelId, String backend, ResourceEstimate estimate,
                               Map<String, String> workerSelector, List<String> gpuSelector, Strategy strategy,
                               boolean cpuOffloading, boolean distributedInference, boolean allowOvercommit,
                               Map<String, Long> measuredVramByProduct, UserParallelism parallelism,
                               String backendVersion, String modelFiles) {

    public enum Strategy {
        /** Prefer the emptiest devices (lowest resulting utilisation). */
        SPREAD,
        /** Prefer the fullest devices that still fit. */
        BINPACK;

        /** {@code spread} (also when unset) or {@code binpack}. */
        public static Strategy of(String name) {
            if (name == null || name.isBlank()) {
                return SPREAD;
            }
            return switch (name.trim().toLowerCase(Locale.ROOT)) {
                case "spread" -> SPREAD;
                case "binpack" -> BINPACK;
                default -> throw new IllegalArgumentException(
                        "placement_strategy '" + name + "' is not one of spread, binpack");
            };
        }
    }

    public PlacementRequest {
        backend = backend == null ? "" : backend.trim().toLowerCase(Locale.ROOT);
        workerSelector = workerSelector == null ? Map.of() : Map.copyOf(workerSelector);
        gpuSelector = gpuSelector == null ? List.of() : List.copyOf(gpuSelector);
        strategy = strategy == null ? Strategy.SPREAD : strategy;
        measuredVramByProduct = measuredVramByProduct == null ? Map.of() : Map.copyOf(measuredVramByProduct);
        parallelism = parallelism == null ? UserParallelism.NONE : parallelism;
        backendVersion = backendVersion == null || backendVersion.isBlank() ? null : backendVersion.trim();
    }

    public PlacementRequest(String modelId, String backend, ResourceEstimate estimate,
                            Map<String, String> workerSelector, List<String> gpuSelector, Strategy strategy,
                            boolean cpuOffloading, boolean distributedInference, boolean allowOvercommit,
                            Map<String, Long> measuredVramByProduct) {
        this(modelId, backend, estimate, workerSelector, gpuSelector, strategy, cpuOffloading, distributedInference,
                allowOvercommit, measuredVramByProduct, UserParallelism.NONE, null);
    }

    public PlacementRequest(String modelId, String backend, ResourceEstimate estimate,
                            Map<String, String> workerSelector, List<String> gpuSelector, Strategy strategy,
                            boolean cpuOffloading, boolean distributedInference, boolean allowOvercommit,
                            Map<String, Long> measuredVramByProduct, UserParallelism parallelism,
                            String backendVersion) {
        this(modelId, backend, estimate, workerSelector, gpuSelector, strategy, cpuOffloading, distributedInference,
                allowOvercommit, measuredVramByProduct, parallelism, backendVersion, null);
    }

    public static PlacementRequest of(String modelId, ModelSpec spec, ResourceEstimate estimate) {
        Strategy strategy;
        try {
            strategy = Strategy.of(spec.placementStrategy());
        } catch (IllegalArgumentException e) {
            // the registry validates the spec; a value it let through must not stop placement
            strategy = Strategy.SPREAD;
        }
        UserParallelism parallelism = "vllm".equals(spec.backend())
                ? UserParallelism.of(spec.backendParameters()) : UserParallelism.NONE;
        return new PlacementRequest(modelId, spec.backend(), estimate, spec.workerSelector(), spec.gpuSelector(),
                strategy, spec.cpuOffloading(), spec.distributedInference(),
                spec.allowOvercommit() && !spec.gpuSelector().isEmpty(), Map.of(), parallelism,
                spec.backendVersion(), ModelFileSet.key(spec.source()));
    }

    public PlacementRequest withMeasuredVram(Map<String, Long> byProduct) {
        return new PlacementRequest(modelId, backend, estimate, workerSelector, gpuSelector, strategy, cpuOffloading,
                distributedInference, allowOvercommit, byProduct, parallelism, backendVersion, modelFiles);
    }

    public PlacementRequest withStrategy(Strategy newStrategy) {
        return new PlacementRequest(modelId, backend, estimate, workerSelector, gpuSelector,
                newStrategy == null ? strategy : newStrategy, cpuOffloading, distributedInference, allowOvercommit,
                measuredVramByProduct, parallelism, backendVersion, modelFiles);
    }

    public PlacementRequest withGpuSelector(List<String> selector, boolean overcommit) {
        return new PlacementRequest(modelId, backend, estimate, workerSelector, selector, strategy, cpuOffloading,
                distributedInference, overcommit, measuredVramByProduct, parallelism, backendVersion, modelFiles);
    }
}
