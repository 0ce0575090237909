package dev.gpufleet.worker.processes;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The whole environment of a process the agent starts (backend, Ray node, RPC server, MindIE node, prelude): the few
 * variables of the agent's own environment that locate the host's programs and libraries ({@link #PASSED},
 * {@link #PASSED_PREFIXES}), then what the launch asks for (the model's {@code env} after the registry's deny rules,
 * the device-visibility variables and the rest the agent sets). Never a copy of the agent's environment: the
 * service token, Kafka and hub credentials the agent holds stay in the agent. A variable whose name looks like a
 * credential ({@link #looksSecret}) is never passed from the agent, whatever list it is on.
 */
public final class ProcessEnvironment {
    /** Passed from the agent's environment when set there. */
    public static final Set<String> PASSED = Set.of(
            "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
            "LD_LIBRARY_PATH", "PYTHONPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "JAVA_HOME",
            "CUDA_HOME", "CUDA_PATH", "ROCM_PATH", "HIP_PATH",
            "SSL_CERT_FILE", "SSL_CERT_DIR");
    /** Passed from the agent's environment: the locale, and what Ascend's {@code set_env.sh} sets for MindIE. */
    public static final List<String> PASSED_PREFIXES = List.of("LC_", "ASCEND_", "ATB_", "ASDOPS_", "MINDIE_",
            "NCCL_SOCKET_", "GLOO_SOCKET_");
    /** Parts of a name that mark a credential; checked upper-cased. */
    private static final List<String> SECRET_MARKS = List.of("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL",
            "JAAS", "_KEY", "APIKEY", "PRIVATE");
    /** The agent's own configuration (service token, Kafka, hub access) lives under these. */
    private static final List<String> AGENT_PREFIXES = List.of("GPUFLEET_", "KAFKA_", "QUARKUS_", "MP_", "SMALLRYE_");

    private ProcessEnvironment() {
    }

    /**
     * @param agent     the agent's own environment
     * @param requested what the launch sets; wins over a passed variable of the same name
     * @return the process's entire environment
     */
    public static Map<String, String> of(Map<String, String> agent, Map<String, String> requested) {
        Map<String, String> environment = new TreeMap<>();
        agent.forEach((name, value) -> {
            if (passed(name)) {
                environment.put(name, value);
            }
        });
        environment.putAll(requested);
        return environment;
    }

    /** Whether the agent's value of {@code name} reaches the processes it starts. */
    public static boolean passed(String name) {
        if (looksSecret(name)) {
            return false;
        }
        return PASSED.contains(name) || PASSED_PREFIXES.stream().anyMatch(name::startsWith);
    }

    /** A credential's name, or one of the agent's own settings: never handed to a process from the agent. */
    public static boolean looksSecret(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        return SECRET_MARKS.stream().anyMatch(upper::contains) || AGENT_PREFIXES.stream().anyMatch(upper::startsWith);
    }
}
