package dev.gpufleet.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;

/** The CLI's config file: {@code server} and {@code api_key}, as properties; written with mode 600. */
public final class ConfigFile {

    /** The file's values; both null when it does not exist. */
    public record Values(Path file, String server, String apiKey) {
    }

    private ConfigFile() {
    }

    public static Values read(Path file) {
        if (!Files.isRegularFile(file)) {
            return new Values(file, null, null);
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Properties p = new Properties();
            p.load(reader);
            return new Values(file, p.getProperty("server"), p.getProperty("api_key"));
        } catch (IOException | IllegalArgumentException e) {
            throw CliException.failed("cannot read the config file " + file + ": " + e.getMessage());
        }
    }

    /**
     * Writes the file so that only its owner can read it: created with mode 600 beside the old one, then moved in
     * place, so the key is never readable by others, not even for a moment.
     */
    public static void write(Path file, String server, String apiKey) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".config", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.writeString(temp, "# gpufleet CLI settings, written by 'gpufleet login'\n"
                        + "server=" + escape(server) + "\napi_key=" + escape(apiKey) + "\n", StandardCharsets.UTF_8);
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw CliException.failed("cannot write the config file " + file + ": " + e.getMessage());
        }
    }

    /** Properties escaping, so that what {@link #read} gets back is what was written. */
    private static String escape(String value) {
        StringBuilder out = new StringBuilder();
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\\', ':', '=', '#', '!' -> out.append('\\').append(c);
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
