package dev.gpufleet.registry.analysis;

/**
 * What the registry's host sees at a model's local path.
 *
 * @param sizeBytes for a {@link Kind#FILE}, its size; else 0
 * @param problem   for {@link Kind#UNREADABLE}, why; else null
 */
public record LocalFile(String path, Kind kind, long sizeBytes, String problem) {
    public enum Kind { FILE, DIRECTORY, MISSING, UNREADABLE }

    public static LocalFile file(String path, long sizeBytes) {
        return new LocalFile(path, Kind.FILE, sizeBytes, null);
    }

    public static LocalFile directory(String path) {
        return new LocalFile(path, Kind.DIRECTORY, 0, null);
    }

    public static LocalFile missing(String path) {
        return new LocalFile(path, Kind.MISSING, 0, null);
    }

    public static LocalFile unreadable(String path, String problem) {
        return new LocalFile(path, Kind.UNREADABLE, 0, problem);
    }
}
