package dev.gpufleet.events.spec;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Which names a model's {@code env} may not set: those that change what code a backend runs (the dynamic loader,
 * Python's and the JVM's start-up, the search path, the home directory a tool reads its start-up files from,
 * llama.cpp's {@code LLAMA_ARG_*} flags that bypass the flag table), API keys (the agent sets the backend's own), and
 * the device-visibility variables the agent sets from the placement. The registry refuses them at registration; the
 * agent refuses to start a backend with one (a spec stored before the rule).
 */
public final class EnvRules {
    /** Set by the agent from the instance's GPUs; a model's value would be overridden. */
    public static final Set<String> DEVICE_VISIBILITY = Set.of("CUDA_VISIBLE_DEVICES", "ASCEND_RT_VISIBLE_DEVICES",
            "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES");
    private static final Set<String> EXACT = Set.of("PATH", "HOME", "BASH_ENV", "ENV", "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "NODE_OPTIONS", "PERL5LIB", "PERL5OPT", "RUBYOPT");
    private static final List<String> PREFIXES = List.of("LD_", "DYLD_", "PYTHON", "LLAMA_ARG_");
    private static final String API_KEY_SUFFIX = "_API_KEY";

    private EnvRules() {
    }

    /** @return why {@code name} is refused, empty when a model may set it */
    public static Optional<String> refusal(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (DEVICE_VISIBILITY.contains(upper)) {
            return Optional.of("the agent sets " + name + " to the GPUs placed for the instance");
        }
        if (!codeChanging(upper)) {
            return Optional.empty();
        }
        if (upper.endsWith(API_KEY_SUFFIX)) {
            return Optional.of(name + " is an API key: the agent gives each backend its own key");
        }
        return Optional.of(name + " changes what code the backend runs (refused: LD_*, DYLD_*, PYTHON*, "
                + "LLAMA_ARG_*, *_API_KEY, PATH, HOME, JAVA_TOOL_OPTIONS and the like)");
    }

    /** Refused also by the agent: a name that changes what runs, not only one the agent overrides anyway. */
    public static boolean codeChanging(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return EXACT.contains(upper) || PREFIXES.stream().anyMatch(upper::startsWith)
                || upper.endsWith(API_KEY_SUFFIX);
    }
}
