package dev.gpufleet.worker.backend;

import dev.gpufleet.events.ModelSource;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Where the model file of a source is on this worker. Only {@code local_path} sources can be served in this
 * release; hub sources need the downloader (a later issue) and say so.
 *
 * @param path    the file to pass to the backend; null when {@code problem} is set
 * @param problem why the model cannot be served here
 */
public record ModelLocation(String path, String problem) {

    /** @param readableFile whether a path is a regular file this agent can read */
    public static ModelLocation of(ModelSource source, Predicate<Path> readableFile) {
        return of(source, readableFile, "model file");
    }

    /**
     * @param readable whether a path is what the backend reads (a file, or a directory for vLLM, vox-box, MindIE)
     * @param what     "model file" or "model directory", for the message
     */
    public static ModelLocation of(ModelSource source, Predicate<Path> readable, String what) {
        Predicate<Path> readableFile = readable;
        if (source == null || source.type() == null) {
            return failed("the launch plan has no model source");
        }
        switch (source.type()) {
            case ModelSource.LOCAL_PATH:
                return local(source.path(), readableFile, what);
            case ModelSource.HUGGINGFACE:
            case ModelSource.MODELSCOPE:
                return failed("model source " + source.type() + ": downloads come in a later release; register "
                        + "the model with a local_path source pointing at a file on this worker for now");
            default:
                return failed("model source type '" + source.type() + "' is not one of "
                        + String.join(", ", ModelSource.HUGGINGFACE, ModelSource.MODELSCOPE, ModelSource.LOCAL_PATH));
        }
    }

    private static ModelLocation local(String path, Predicate<Path> readableFile, String what) {
        if (path == null || path.isBlank()) {
            return failed("model source local_path has no path");
        }
        try {
            if (readableFile.test(Path.of(path))) {
                return new ModelLocation(path, null);
            }
        } catch (InvalidPathException e) {
            // not a path on this worker's file system: not found, like any other
        }
        return failed(what + " not found: " + path);
    }

    private static ModelLocation failed(String problem) {
        return new ModelLocation(null, problem);
    }
}
