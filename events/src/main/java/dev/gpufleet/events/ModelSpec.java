package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/** What an operator asked for: the model spec of DESIGN §6, with the registry's defaults applied. */
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
        boolean restartOnError) {

    public ModelSpec {
        backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        env = env == null ? Map.of() : Map.copyOf(env);
        categories = categories == null ? List.of() : List.copyOf(categories);
        workerSelector = workerSelector == null ? Map.of() : Map.copyOf(workerSelector);
        gpuSelector = gpuSelector == null ? List.of() : List.copyOf(gpuSelector);
    }
}
