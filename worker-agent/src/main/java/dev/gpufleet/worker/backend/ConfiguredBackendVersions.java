package dev.gpufleet.worker.backend;

import dev.gpufleet.events.BackendVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code gpufleet.worker.backend-versions}: the engine versions this worker has besides its default binaries,
 * {@code <backend>:<version>=<absolute path>} separated by commas, e.g.
 * {@code vllm:0.8.5=/opt/vllm-0.8.5/bin/vllm,llama-box:0.0.140=/opt/llama-box-0.0.140/llama-box}. The heartbeat
 * lists them, so the scheduler places a model whose {@code backend_version} names one here (and sees an upgrade at
 * the next beat); the agent runs that path.
 */
public final class ConfiguredBackendVersions {
    private ConfiguredBackendVersions() {
    }

    /** The versions the setting lists; an entry that is not {@code backend:version=/path} is refused, named. */
    public static List<BackendVersion> parse(String setting) {
        List<BackendVersion> versions = new ArrayList<>();
        if (setting == null || setting.isBlank()) {
            return versions;
        }
        for (String entry : setting.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.indexOf(':');
            int eq = e.indexOf('=');
            String backend = colon > 0 ? e.substring(0, colon).strip() : "";
            String version = colon > 0 && eq > colon ? e.substring(colon + 1, eq).strip() : "";
            String path = eq > 0 ? e.substring(eq + 1).strip() : "";
            if (!LaunchPlanner.BACKENDS.contains(backend) || version.isEmpty() || version.contains(" ")
                    || !(path.startsWith("/") || path.matches("[A-Za-z]:[\\\\/].*"))) {
                throw new IllegalArgumentException("gpufleet.worker.backend-versions entry '" + e + "' is not "
                        + "<backend>:<version>=<absolute path> with backend one of "
                        + String.join(", ", LaunchPlanner.BACKENDS));
            }
            versions.add(new BackendVersion(backend, version, path, BackendVersion.AGENT));
        }
        return List.copyOf(versions);
    }

    /** The path of {@code backend} {@code version} in the setting, if it lists it (a bad setting lists nothing). */
    public static Optional<String> path(String setting, String backend, String version) {
        try {
            return parse(setting).stream().filter(v -> v.backend().equals(backend) && v.version().equals(version))
                    .map(BackendVersion::path).findFirst();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
