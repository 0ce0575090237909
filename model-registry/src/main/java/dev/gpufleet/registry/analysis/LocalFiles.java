package dev.gpufleet.registry.analysis;

import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Looks at a local path on this host (blocking: call it off the event loop). */
@ApplicationScoped
public class LocalFiles {

    public LocalFile stat(String pathText) {
        Path path;
        try {
            path = Path.of(pathText);
        } catch (InvalidPathException e) {
            return LocalFile.unreadable(pathText, "not a valid path here (" + e.getReason() + ")");
        }
        if (!Files.exists(path)) {
            return LocalFile.missing(pathText);
        }
        if (Files.isDirectory(path)) {
            return Files.isReadable(path) ? LocalFile.directory(pathText)
                    : LocalFile.unreadable(pathText, "permission denied");
        }
        if (!Files.isReadable(path)) {
            return LocalFile.unreadable(pathText, "permission denied");
        }
        try {
            return LocalFile.file(pathText, Files.size(path));
        } catch (IOException e) {
            return LocalFile.unreadable(pathText, e.toString());
        }
    }
}
