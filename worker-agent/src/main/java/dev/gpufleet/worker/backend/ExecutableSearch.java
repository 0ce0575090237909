package dev.gpufleet.worker.backend;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;

/** Finds an executable by name in a PATH-like list of directories, as a shell would. */
public final class ExecutableSearch {
    private final String searchPath;

    public ExecutableSearch(String searchPath) {
        this.searchPath = searchPath == null ? "" : searchPath;
    }

    public Optional<String> find(String name) {
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isBlank()) {
                continue;
            }
            try {
                Path candidate = Path.of(dir, name);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return Optional.of(candidate.toAbsolutePath().toString());
                }
            } catch (InvalidPathException e) {
                // a malformed PATH entry holds nothing
            }
        }
        return Optional.empty();
    }
}
