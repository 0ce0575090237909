package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;

import java.util.List;
import java.util.Map;

/** InstanceChanged payloads for tests. */
public final class Instances {
    public static final String ME = "w-me";
    public static final String OTHER = "w-other";

    private Instances() {
    }

    public static LaunchPlan plan(String modelPath, List<String> parameters, Map<String, String> env) {
        return new LaunchPlan("llama-box", null, ModelSource.localPath(modelPath), parameters, env, List.of("llm"));
    }

    public static InstanceChanged instance(String id, String workerId, InstanceState state, int restartCount,
                                           LaunchPlan plan) {
        return instance(id, id + "-name", "demo", workerId, List.of(), state, restartCount, plan);
    }

    public static InstanceChanged instance(String id, String name, String modelName, String workerId,
                                           List<Integer> gpus, InstanceState state, int restartCount,
                                           LaunchPlan plan) {
        return new InstanceChanged(id, name, "m-" + modelName, modelName, workerId,
                workerId == null ? null : workerId + "-name", gpus, List.of(), new ResourceClaim(1L << 30, Map.of()),
                state, null, null, restartCount, plan);
    }

    public static InstanceChanged placed(String id, String workerId, InstanceState state, int restartCount) {
        return instance(id, workerId, state, restartCount, plan("/models/" + id + ".gguf", List.of(), Map.of()));
    }
}
