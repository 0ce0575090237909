package dev.gpufleet.chaos.fleet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Finds the backend processes of a run on this machine, from /proc (every namespace shares the process table). */
public final class Backends {
    /** On the command line of every backend the suite's llama-box starts; its value is the run's directory. */
    public static final String MARKER = "-Dgpufleet.chaos.backend=";

    private Backends() {
    }

    public static List<BackendProcess> scan(String runDirectory) {
        return scan(runDirectory, java.util.Map.of());
    }

    /**
     * @param agentAddresses each agent's data directory and the address it advertises. A backend that cannot check
     *                       a key (llama-box) listens on loopback behind its agent's authenticating proxy, so its
     *                       command line does not name the endpoint the scheduler lists; the agent's pid file of the
     *                       backend ({@code <data dir>/backends/*.pid}, port field {@code port/backendPort}) does.
     */
    public static List<BackendProcess> scan(String runDirectory, java.util.Map<Path, String> agentAddresses) {
        java.util.Map<Long, String> proxied = proxiedEndpoints(agentAddresses);
        String marker = MARKER + runDirectory;
        List<BackendProcess> found = new ArrayList<>();
        for (long pid : Leftovers.pids()) {
            List<String> args = Leftovers.arguments(pid);
            if (!args.contains(marker)) {
                continue;
            }
            Optional<Instant> started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
            if (started.isEmpty()) {
                continue;
            }
            found.add(new BackendProcess(pid, started.get(), proxied.getOrDefault(pid,
                    value(args, "--host") + ":" + value(args, "--port")), value(args, "--alias")));
        }
        return found;
    }

    /** Pid → the proxy's endpoint, for the backends the agents run behind their authenticating proxy. */
    static java.util.Map<Long, String> proxiedEndpoints(java.util.Map<Path, String> agentAddresses) {
        java.util.Map<Long, String> endpoints = new java.util.HashMap<>();
        agentAddresses.forEach((dataDir, address) -> {
            Path dir = dataDir.resolve("backends");
            if (!Files.isDirectory(dir)) {
                return;
            }
            try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                files.forEach(file -> {
                    try {
                        String[] fields = Files.readString(file).trim().split("\\s+");
                        int slash = fields.length > 2 ? fields[2].indexOf('/') : -1;
                        if (slash > 0) {
                            endpoints.put(Long.parseLong(fields[0]), address + ":" + fields[2].substring(0, slash));
                        }
                    } catch (java.io.IOException | RuntimeException e) {
                        // written or removed just now: the next scan sees it
                    }
                });
            } catch (java.io.IOException | RuntimeException e) {
                // the agent's directory changing under the scan
            }
        });
        return endpoints;
    }

    static String value(List<String> args, String flag) {
        int i = args.indexOf(flag);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "?";
    }
}
