package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to start one instance's backend, or why it cannot start.
 *
 * @param warnings what the agent overrode in the user's parameters and environment (names only, never values)
 * @param files    files to write before starting, absolute path → content (MindIE's config and rank table)
 * @param version  what the binary's {@code --version} said, or null when unknown
 */
public record BackendLaunch(BackendCommand command, Map<String, String> environment, int port,
                            List<String> warnings, String problem, Map<String, String> files, String version) {
    public BackendLaunch {
        environment = environment == null ? Map.of() : environment;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    public BackendLaunch(BackendCommand command, Map<String, String> environment, int port, List<String> warnings,
                         String problem) {
        this(command, environment, port, warnings, problem, Map.of(), null);
    }

    static BackendLaunch ready(BackendCommand command, BackendEnvironment environment, int port) {
        List<String> warnings = new ArrayList<>(command.warnings());
        warnings.addAll(environment.warnings());
        return new BackendLaunch(command, environment.variables(), port, warnings, null);
    }

    static BackendLaunch failed(String problem) {
        return new BackendLaunch(null, Map.of(), 0, List.of(), problem);
    }

    BackendLaunch withFiles(Map<String, String> files) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version);
    }

    BackendLaunch withVersion(String version) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version);
    }

    /** Environment names and file paths only: the values may be secrets. */
    @Override
    public String toString() {
        return "BackendLaunch[command=" + (command == null ? null : command.redacted()) + ", environment="
                + environment.keySet() + ", port=" + port + ", warnings=" + warnings + ", problem=" + problem
                + ", files=" + files.keySet() + ", version=" + version + "]";
    }

    public boolean ready() {
        return problem == null;
    }
}
