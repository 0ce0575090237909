package dev.gpufleet.worker.processes;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A directory of {@code *.pid} files, each holding one {@link Leftover} line: the processes a supervising component
 * runs, so that the next run of the agent can adopt or stop them after a crash.
 */
public final class PidFiles {
    private static final Logger LOG = Logger.getLogger(PidFiles.class);
    private static final String SUFFIX = ".pid";

    private final Path dir;

    /** A pid file found in the directory; {@code leftover} is empty when it is not a pid file's text. */
    public record Recorded(Path file, Optional<Leftover> leftover) {
        public String name() {
            return file.getFileName().toString();
        }
    }

    public PidFiles(Path dir) {
        this.dir = dir;
    }

    /** An id as a file name: every character but letters, digits, '.', '_' and '-' becomes '_'. */
    public static String safeName(String id) {
        return id.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** The pid file name of {@code <safe id><tag>.pid}. */
    public static String name(String id, String tag) {
        return safeName(id) + tag + SUFFIX;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public void write(String name, Leftover leftover) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name), leftover.line());
    }

    public void delete(String name) {
        try {
            Files.deleteIfExists(dir.resolve(name));
        } catch (IOException e) {
            LOG.debugf("Cannot delete the pid file %s: %s", dir.resolve(name), e);
        }
    }

    /** Every pid file there; none when the directory does not exist. */
    public List<Recorded> list() throws IOException {
        List<Recorded> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                found.add(new Recorded(file, read(file)));
            }
        }
        return found;
    }

    private static Optional<Leftover> read(Path file) {
        try {
            return Leftover.parse(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
