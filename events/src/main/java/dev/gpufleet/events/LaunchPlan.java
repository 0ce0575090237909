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
 */
public record LaunchPlan(String backend, String backendVersion, ModelSource source, List<String> backendParameters,
                         Map<String, String> env, List<String> categories) {

    public LaunchPlan {
        backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        env = env == null ? Map.of() : Map.copyOf(env);
        categories = categories == null ? List.of() : List.copyOf(categories);
    }

    public static LaunchPlan of(ModelSpec spec) {
        return new LaunchPlan(spec.backend(), spec.backendVersion(), spec.source(), spec.backendParameters(),
                spec.env(), spec.categories());
    }
}
