package dev.gpufleet.localstack.launcher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The embedded default generates one secret per purpose, keeps them between runs, and adds one an older file lacks. */
class StackSettingsTest {

    @Test
    void eachSecretIsGeneratedOnceAtLeast32BytesAndPrivate(@TempDir Path dir) throws Exception {
        StackSettings first = StackSettings.loadOrCreate(dir);
        List<String> secrets = List.of(first.clusterToken(), first.backendKeySecret(), first.metricsToken(),
                first.databasePassword());
        assertEquals(4, secrets.stream().distinct().count(), "each purpose its own secret");
        for (String secret : secrets) {
            assertTrue(secret.getBytes(StandardCharsets.UTF_8).length >= 32, "a secret under 32 bytes");
        }
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("stack.properties"))));
        assertEquals(first.clusterToken(), Files.readString(dir.resolve("cluster-token")).trim());
        assertEquals(first, StackSettings.loadOrCreate(dir), "the second run reads the same");
        assertTrue(!first.toString().contains(first.clusterToken()), first.toString());
    }

    @Test
    void aFileFromBeforeTheSeparateSecretsGetsThemAdded(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("stack.properties"), "kafka.port=40001\nkafka.controller.port=40002\n"
                + "postgres.port=40003\ndatabase.password=old-password\n"
                + "cluster.token=old-cluster-token-0123456789abcdef\n");
        StackSettings upgraded = StackSettings.loadOrCreate(dir);
        assertEquals("old-cluster-token-0123456789abcdef", upgraded.clusterToken(), "the service token is kept");
        assertEquals(40001, upgraded.kafkaPort());
        assertNotEquals(upgraded.backendKeySecret(), upgraded.metricsToken());
        Properties saved = new Properties();
        try (var in = Files.newBufferedReader(dir.resolve("stack.properties"))) {
            saved.load(in);
        }
        assertEquals(upgraded.backendKeySecret(), saved.getProperty("backend.key.secret"));
        assertEquals(upgraded.metricsToken(), saved.getProperty("metrics.token"));
        assertEquals(upgraded, StackSettings.loadOrCreate(dir));
    }
}
