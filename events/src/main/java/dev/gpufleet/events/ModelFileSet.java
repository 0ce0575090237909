package dev.gpufleet.events;

import java.time.Instant;
import java.util.List;

/**
 * One set of model files on a worker, as its agent reports it in the heartbeat: a hub repository's files the agent
 * downloaded (under its models directory), or a local path an instance serves.
 *
 * @param id            unique in the fleet: {@code <workerId>:<16 hex digits>}, stable for the same source on the
 *                      same worker
 * @param source        {@code huggingface}, {@code modelscope} or {@code local_path} (as {@link ModelSource#type()})
 * @param repo          the hub repository ({@code owner/name}); null for a local path
 * @param files         the files present, relative to {@code path} (a part file under its final name); empty for a
 *                      local path that is one file
 * @param path          where the files are on the worker
 * @param sizeBytes     bytes on disk, part files included
 * @param state         {@link State#DOWNLOADING} (then {@code progressBytes} of {@code totalBytes}), {@link State#READY}
 *                      or {@link State#ERROR} (then {@code message})
 * @param lastUsedAt    when an instance last used these files (or when they arrived, if none has since); null when
 *                      the worker cannot tell
 * @param instances     the ids of the instances placed on this worker that use these files now
 */
public record ModelFileSet(String id, String source, String repo, List<String> files, String path, long sizeBytes,
                           State state, Long progressBytes, Long totalBytes, String message, Instant lastUsedAt,
                           List<String> instances) {

    public enum State { DOWNLOADING, READY, ERROR }

    public ModelFileSet {
        files = files == null ? List.of() : List.copyOf(files);
        instances = instances == null ? List.of() : List.copyOf(instances);
    }

    /** Whether an instance uses these files now (then they are never deleted). */
    public boolean inUse() {
        return !instances.isEmpty();
    }

    /**
     * What placement compares a model's source with: {@code <hub> <repo>} for a hub repository, {@code local_path
     * <path>} for a local path; null for a source that names neither.
     */
    public static String key(ModelSource source) {
        if (source == null || source.type() == null) {
            return null;
        }
        String where = switch (source.type()) {
            case ModelSource.HUGGINGFACE -> source.repoId();
            case ModelSource.MODELSCOPE -> source.modelId();
            case ModelSource.LOCAL_PATH -> source.path();
            default -> null;
        };
        return where == null || where.isBlank() ? null : source.type() + " " + where;
    }

    /** This set's {@link #key(ModelSource)}. */
    public String key() {
        String where = ModelSource.LOCAL_PATH.equals(source) ? path : repo;
        return source == null || where == null ? null : source + " " + where;
    }

    /** Only files the agent downloaded are ever deleted by gpufleet; a local path belongs to its owner. */
    public boolean downloaded() {
        return !ModelSource.LOCAL_PATH.equals(source);
    }
}
