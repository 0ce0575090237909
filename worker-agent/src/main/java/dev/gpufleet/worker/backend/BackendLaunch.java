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
 * @param prelude  a process to start first and keep running beside the backend (the Ray head of a multi-worker
 *                 vLLM instance); null for most backends
 * @param overlays model directories to prepare before the files are written, overlay directory → the model's
 *                 directory (see {@link ModelOverlay}): MindIE's copy of a model whose config files it changes
 * @param backendPort 0 when the backend itself listens on {@code port}; else the loopback port it listens on while
 *                    the agent's authenticating proxy serves {@code port} (a backend that cannot check a key)
 */
public record BackendLaunch(BackendCommand command, Map<String, String> environment, int port,
                            List<String> warnings, String problem, Map<String, String> files, String version,
                            Prelude prelude, Map<String, String> overlays, int backendPort) {
    public BackendLaunch {
        overlays = overlays == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overlays));
        environment = environment == null ? Map.of() : environment;
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
        files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(files));
    }

    /**
     * A process the backend needs running before it starts: started first, the backend started once
     * {@code readyHost:readyPort} accepts connections. It belongs to the instance: if it exits, the instance fails
     * like a crashed backend, and stopping the instance stops the backend, then it.
     *
     * @param name what it is, for messages ("the Ray head")
     */
    public record Prelude(String name, BackendCommand command, Map<String, String> environment, String readyHost,
                          int readyPort) {
        public Prelude {
            environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        }

        @Override
        public String toString() {
            return "Prelude[" + name + ": " + command.redacted() + ", environment=" + environment.keySet()
                    + ", ready at " + readyHost + ":" + readyPort + "]";
        }
    }

    public BackendLaunch(BackendCommand command, Map<String, String> environment, int port, List<String> warnings,
                         String problem, Map<String, String> files, String version, Prelude prelude,
                         Map<String, String> overlays) {
        this(command, environment, port, warnings, problem, files, version, prelude, overlays, 0);
    }

    public BackendLaunch(BackendCommand command, Map<String, String> environment, int port, List<String> warnings,
                         String problem, Map<String, String> files, String version, Prelude prelude) {
        this(command, environment, port, warnings, problem, files, version, prelude, Map.of());
    }

    public BackendLaunch(BackendCommand command, Map<String, String> environment, int port, List<String> warnings,
                         String problem, Map<String, String> files, String version) {
        this(command, environment, port, warnings, problem, files, version, null);
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

    BackendLaunch withVersion(String version) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version, prelude, overlays,
                backendPort);
    }

    BackendLaunch withPrelude(Prelude prelude) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version, prelude, overlays,
                backendPort);
    }

    BackendLaunch withOverlays(Map<String, String> overlays) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version, prelude, overlays,
                backendPort);
    }

    /** The same launch with its backend on {@code 127.0.0.1:backendPort} behind the agent's proxy on {@link #port}. */
    BackendLaunch behindProxy(int backendPort) {
        return new BackendLaunch(command, environment, port, warnings, problem, files, version, prelude, overlays,
                backendPort);
    }

    /** Whether the agent's authenticating proxy serves {@link #port} for the backend. */
    public boolean proxied() {
        return backendPort > 0;
    }

    /** Where the backend itself listens: its health is probed there, not through the proxy. */
    public int listenPort() {
        return proxied() ? backendPort : port;
    }

    /** Environment names and file paths only: the values may be secrets. */
    @Override
    public String toString() {
        return "BackendLaunch[command=" + (command == null ? null : command.redacted()) + ", environment="
                + environment.keySet() + ", port=" + port + ", warnings=" + warnings + ", problem=" + problem
                + ", files=" + files.keySet() + ", version=" + version + ", prelude=" + prelude
                + (proxied() ? ", behind the agent's proxy, backend on 127.0.0.1:" + backendPort : "") + "]";
    }

    public boolean ready() {
        return problem == null;
    }
}
