package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.BackendVersion;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A worker's engine versions as stored: a JSON object, because Hibernate Reactive maps only objects to JSON
 * columns. Registered versions win over the agent's own for the same backend and version.
 */
public record BackendVersions(List<BackendVersion> versions) {
    public static final BackendVersions NONE = new BackendVersions(List.of());

    public BackendVersions {
        versions = versions == null ? List.of() : List.copyOf(versions);
    }

    /** The versions a worker has: the agent's, then the registered ones (which replace the agent's of a key). */
    public static List<BackendVersion> merged(BackendVersions reported, BackendVersions registered) {
        Map<String, BackendVersion> byKey = new LinkedHashMap<>();
        for (BackendVersions from : new BackendVersions[]{reported, registered}) {
            if (from != null) {
                from.versions().forEach(v -> byKey.put(key(v.backend(), v.version()), v));
            }
        }
        return List.copyOf(byKey.values());
    }

    /** The registered version of that key, if an operator registered it on this worker. */
    public Optional<BackendVersion> find(String backend, String version) {
        return versions.stream().filter(v -> v.backend().equals(backend) && v.version().equals(version)).findFirst();
    }

    public BackendVersions with(BackendVersion added) {
        List<BackendVersion> out = new ArrayList<>(without(added.backend(), added.version()).versions());
        out.add(added);
        return new BackendVersions(out);
    }

    public BackendVersions without(String backend, String version) {
        return new BackendVersions(versions.stream()
                .filter(v -> !(v.backend().equals(backend) && v.version().equals(version))).toList());
    }

    public static String key(String backend, String version) {
        return backend + " " + version;
    }
}
