package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * What an operator asked for: the model spec of DESIGN §6, with the registry's defaults applied.
 *
 * @param allowUnknownParameters an admin's opt-in, recorded with the model: {@code backend_parameters} may hold
 *                               flags the backend's table does not know and flags that fetch or run code from
 *                               elsewhere ({@link dev.gpufleet.events.spec.FlagRules})
 * @param allowOvercommit with a {@code gpu_selector}: place on the selected GPUs even when the estimate says they
 *                        are too small (the placement carries a warning); false without a selector
 */
public record ModelSpec(
        String name,
        ModelSource source,
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
        Boolean allowOvercommit) {

    public ModelSpec {
        backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        env = env == null ? Map.of() : Map.copyOf(env);
        categories = categories == null ? List.of() : List.copyOf(categories);
        workerSelector = workerSelector == null ? Map.of() : Map.copyOf(workerSelector);
        gpuSelector = gpuSelector == null ? List.of() : List.copyOf(gpuSelector);
        // boxed so that a spec written before this field (no value) reads as false
        allowOvercommit = Boolean.TRUE.equals(allowOvercommit);
    }

    /** A spec without either opt-in (overcommit, unknown parameters), as the registry sent before those fields. */
    public ModelSpec(String name, ModelSource source, String backend, String backendVersion,
                     List<String> backendParameters, Map<String, String> env, int replicas, List<String> categories,
                     String placementStrategy, boolean cpuOffloading, boolean distributedInference,
                     Map<String, String> workerSelector, List<String> gpuSelector, boolean restartOnError) {
        this(name, source, backend, backendVersion, backendParameters, env, replicas, categories, placementStrategy,
                cpuOffloading, distributedInference, workerSelector, gpuSelector, restartOnError, false, false);
    }
}
