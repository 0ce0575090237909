package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to start one instance's backend, or why it cannot start.
 *
 * @param warnings what the agent overrode in the user's parameters and environment (names only, never values)
 */
public record BackendLaunch(BackendCommand command, Map<String, String> environment, int port,
                            List<String> warnings, String problem) {
    public BackendLaunch {
        environment = environment == null ? Map.of() : environment;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    static BackendLaunch ready(BackendCommand command, BackendEnvironment environment, int port) {
        List<String> warnings = new ArrayList<>(command.warnings());
        warnings.addAll(environment.warnings());
        return new BackendLaunch(command, environment.variables(), port, warnings, null);
    }

    static BackendLaunch failed(String problem) {
        return new BackendLaunch(null, Map.of(), 0, List.of(), problem);
    }

    /** Environment names only: the values may be secrets. */
    @Override
    public String toString() {
        return "BackendLaunch[command=" + (command == null ? null : command.redacted()) + ", environment="
                + environment.keySet() + ", port=" + port + ", warnings=" + warnings + ", problem=" + problem + "]";
    }

    public boolean ready() {
        return problem == null;
    }
}
