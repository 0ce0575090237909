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
 * password and one secret per purpose, each generated here (32 random bytes): the service token (service to service
 * and agent to service; also in {@code <data-dir>/cluster-token}, mode 600, for the internal APIs), the backend-key
 * secret (the gateway's and the agent's) and the metrics token (the management interfaces'). A file written before a
 * secret existed gets that secret added. Clients of the gateway use the admin user's API key, never these.
 */
record StackSettings(int kafkaPort, int kafkaControllerPort, int postgresPort, String databasePassword,
                     String clusterToken, String backendKeySecret, String metricsToken) {

    static StackSettings loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve("stack.properties");
        try {
            Files.createDirectories(dataDir);
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                boolean added = p.getProperty("backend.key.secret") == null || p.getProperty("metrics.token") == null;
                StackSettings s = new StackSettings(intOf(p, "kafka.port", file),
                        intOf(p, "kafka.controller.port", file), intOf(p, "postgres.port", file),
                        required(p, "database.password", file), required(p, "cluster.token", file),
                        p.getProperty("backend.key.secret", secret()), p.getProperty("metrics.token", secret()));
                if (added) {
                    s.save(dataDir);
                }
                return s;
            }
            StackSettings s = new StackSettings(FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), secret(),
                    secret(), secret(), secret());
            s.save(dataDir);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }

    private void save(Path dataDir) throws IOException {
        Properties p = new Properties();
        p.setProperty("kafka.port", Integer.toString(kafkaPort));
        p.setProperty("kafka.controller.port", Integer.toString(kafkaControllerPort));
        p.setProperty("postgres.port", Integer.toString(postgresPort));
        p.setProperty("database.password", databasePassword);
        p.setProperty("cluster.token", clusterToken);
        p.setProperty("backend.key.secret", backendKeySecret);
        p.setProperty("metrics.token", metricsToken);
        writePrivate(dataDir.resolve("stack.properties"), w -> p.store(w, "gpufleet embedded default: kept between runs"));
        writePrivate(dataDir.resolve("cluster-token"), w -> w.write(clusterToken + "\n"));
    }

    /** 32 random bytes, URL-safe Base64 (43 characters): every secret setting demands at least 32 bytes. */
    private static String secret() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private interface WriterAction {
        void write(Writer w) throws IOException;
    }

    @Override
    public String toString() {
        return "StackSettings[kafkaPort=" + kafkaPort + ", kafkaControllerPort=" + kafkaControllerPort
                + ", postgresPort=" + postgresPort + ", secrets hidden]";
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
