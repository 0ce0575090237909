package dev.gpufleet.localstack.launcher;

import dev.gpufleet.localstack.FreePorts;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Properties;

/**
 * What the embedded default must keep between runs, in {@code <data-dir>/stack.properties} (mode 600): the
 * ports Kafka and PostgreSQL were first started on (Kafka's quorum is bound to its controller port), the database
 * password and the cluster token. The token also goes to {@code <data-dir>/cluster-token} (mode 600) for curl.
 */
record StackSettings(int kafkaPort, int kafkaControllerPort, int postgresPort, String databasePassword,
                     String clusterToken) {

    static StackSettings loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve("stack.properties");
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                return new StackSettings(intOf(p, "kafka.port", file), intOf(p, "kafka.controller.port", file),
                        intOf(p, "postgres.port", file), required(p, "database.password", file),
                        required(p, "cluster.token", file));
            }
            StackSettings s = new StackSettings(FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), secret(),
                    secret());
            Properties p = new Properties();
            p.setProperty("kafka.port", Integer.toString(s.kafkaPort));
            p.setProperty("kafka.controller.port", Integer.toString(s.kafkaControllerPort));
            p.setProperty("postgres.port", Integer.toString(s.postgresPort));
            p.setProperty("database.password", s.databasePassword);
            p.setProperty("cluster.token", s.clusterToken);
            writePrivate(file, w -> p.store(w, "gpufleet embedded default: kept between runs"));
            writePrivate(dataDir.resolve("cluster-token"), w -> w.write(s.clusterToken + "\n"));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String secret() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private interface WriterAction {
        void write(Writer w) throws IOException;
    }

    private static void writePrivate(Path file, WriterAction action) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        try (Writer w = Files.newBufferedWriter(file)) {
            action.write(w);
        }
    }

    private static int intOf(Properties p, String key, Path file) {
        String v = required(p, key, file);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + ": '" + key + "' must be a port number, was '" + v + "'");
        }
    }

    private static String required(Properties p, String key, Path file) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException(file + " lacks '" + key + "'; delete the file to start over "
                    + "(the data of the stack is kept in the other folders)");
        }
        return v;
    }
}
