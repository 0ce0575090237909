package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * What an operator asked for: the model spec of DESIGN §6, with the registry's defaults applied.
 *
 * @param allowUnknownParameters an admin's opt-in, recorded with the model: {@code backend_parameters} may hold
 *                               flags the backend's table does not know and flags that fetch or run code from
 *                               elsewhere ({@link dev.gpufleet.events.spec.FlagRules})
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
        boolean allowUnknownParameters) {

    /** Without the opt-in for unknown and fetching flags. */
    public ModelSpec(String name, ModelSource source, String backend, String backendVersion,
                     List<String> backendParameters, Map<String, String> env, int replicas, List<String> categories,
                     String placementStrategy, boolean cpuOffloading, boolean distributedInference,
                     Map<String, String> workerSelector, List<String> gpuSelector, boolean restartOnError) {
        this(name, source, backend, backendVersion, backendParameters, env, replicas, categories, placementStrategy,
                cpuOffloading, distributedInference, workerSelector, gpuSelector, restartOnError, false);
    }

    public ModelSpec {
        backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        env = env == null ? Map.of() : Map.copyOf(env);
        categories = categories == null ? List.of() : List.copyOf(categories);
        workerSelector = workerSelector == null ? Map.of() : Map.copyOf(workerSelector);
        gpuSelector = gpuSelector == null ? List.of() : List.copyOf(gpuSelector);
    }
}
