package dev.gpufleet.worker.backend;

import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.spec.EnvRules;
import dev.gpufleet.events.spec.LocalRoots;

import java.util.Optional;
import java.util.TreeSet;

/**
 * The agent's second look at a launch plan, after the registry's, for a spec stored before a rule existed or a
 * registry configured more loosely than this worker: no {@code env} name that changes what code runs
 * ({@link EnvRules#codeChanging}), and a {@code local_path} model only under this worker's
 * {@code gpufleet.models.local-roots} or its own download directory.
 *
 * @param roots where model files may lie; null checks the environment only
 */
public record LaunchGuard(LocalRoots roots) {
    /** Checks the environment only (supervisors built without the agent's configuration). */
    public static final LaunchGuard ENVIRONMENT_ONLY = new LaunchGuard(null);

    /** @return why the plan may not run on this worker, empty when it may */
    public Optional<String> problem(LaunchPlan plan) {
        if (plan == null) {
            return Optional.empty();
        }
        for (String name : new TreeSet<>(plan.env().keySet())) {
            if (EnvRules.codeChanging(name)) {
                return Optional.of("env " + name + " is refused on this worker: "
                        + EnvRules.refusal(name).orElse("it changes what code the backend runs"));
            }
        }
        ModelSource source = plan.source();
        if (roots != null && source != null && ModelSource.LOCAL_PATH.equals(source.type()) && source.path() != null) {
            return roots.refusal(source.path()).map(reason -> "model path " + source.path() + " is refused on this "
                    + "worker: it " + reason);
        }
        return Optional.empty();
    }
}
