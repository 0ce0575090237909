package dev.gpufleet.events;

import java.util.List;
import java.util.Map;

/**
 * What a worker agent needs to start an instance's backend, copied from the model spec when the scheduler places
 * it, so the agent never has to read the models topic.
 *
 * @param backend           {@code llama-box}, {@code vllm}, {@code vox-box}, {@code mindie}
 * @param backendParameters the user's extra backend flags, as given
 * @param env               the user's environment variables (values may be secrets: never log them)
 * @param backendPath       the executable of {@code backendVersion} an operator registered on the placed worker,
 *                          resolved by the scheduler when it placed the instance; null when the agent's own
 *                          configuration has that version, or no version was asked for
 */
public record LaunchPlan(String backend, String backendVersion, ModelSource source, List<String> backendParameters,
                         Map<String, String> env, List<String> categories, String backendPath) {

    public LaunchPlan {
        backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        env = env == null ? Map.of() : Map.copyOf(env);
        categories = categories == null ? List.of() : List.copyOf(categories);
    }

    public LaunchPlan(String backend, String backendVersion, ModelSource source, List<String> backendParameters,
                      Map<String, String> env, List<String> categories) {
        this(backend, backendVersion, source, backendParameters, env, categories, null);
    }

    /** The same plan, running the version registered at {@code path} on the placed worker. */
    public LaunchPlan withBackendPath(String path) {
        return new LaunchPlan(backend, backendVersion, source, backendParameters, env, categories, path);
    }

    public static LaunchPlan of(ModelSpec spec) {
        return new LaunchPlan(spec.backend(), spec.backendVersion(), spec.source(), spec.backendParameters(),
                spec.env(), spec.categories());
    }
}
