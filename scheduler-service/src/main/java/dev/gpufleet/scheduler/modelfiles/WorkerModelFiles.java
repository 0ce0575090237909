package dev.gpufleet.scheduler.modelfiles;

import dev.gpufleet.events.ModelDirectory;
import dev.gpufleet.events.ModelFileSet;

import java.util.List;
import java.util.Optional;

/**
 * A worker's model file sets as stored from its latest heartbeat: a JSON object, because Hibernate Reactive maps only
 * objects to JSON columns.
 *
 * @param directory the models directory's disk; null from agents that do not report it
 */
public record WorkerModelFiles(List<ModelFileSet> sets, ModelDirectory directory) {
    public static final WorkerModelFiles NONE = new WorkerModelFiles(List.of(), null);

    public WorkerModelFiles {
        sets = sets == null ? List.of() : List.copyOf(sets);
    }

    public Optional<ModelFileSet> find(String id) {
        return sets.stream().filter(s -> s.id().equals(id)).findFirst();
    }

    public WorkerModelFiles without(String id) {
        return new WorkerModelFiles(sets.stream().filter(s -> !s.id().equals(id)).toList(), directory);
    }

    /** The worker a set id names: ids are {@code <workerId>:<16 hex digits>}; empty for anything else. */
    public static Optional<String> workerOf(String id) {
        int colon = id == null ? -1 : id.lastIndexOf(':');
        if (colon <= 0 || !id.substring(colon + 1).matches("[0-9a-f]{16}")) {
            return Optional.empty();
        }
        return Optional.of(id.substring(0, colon));
    }
}
