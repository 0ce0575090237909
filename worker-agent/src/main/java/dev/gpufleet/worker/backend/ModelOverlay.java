package dev.gpufleet.worker.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A copy of a model directory in which some files are replaced: every other entry of the original is a symbolic
 * link to it (so the weights are not copied), the replaced files are written by the launch (see
 * {@link BackendLaunch#files()}). The user's directory is only read. An overlay left by an earlier start of the same
 * instance is rebuilt.
 */
public final class ModelOverlay {
    private ModelOverlay() {
    }

    /** Links every entry of {@code source} except {@code replaced} into {@code overlay}; returns {@code overlay}. */
    public static Path link(Path source, Path overlay, Set<String> replaced) throws IOException {
        if (Files.isDirectory(overlay)) {
            try (Stream<Path> old = Files.list(overlay)) {
                for (Path p : old.toList()) {
                    Files.delete(p); // links and files written by an earlier start; never the user's files
                }
            }
        }
        Files.createDirectories(overlay);
        try (Stream<Path> entries = Files.list(source)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (!replaced.contains(name)) {
                    Files.createSymbolicLink(overlay.resolve(name), entry.toAbsolutePath());
                }
            }
        }
        return overlay;
    }
}
