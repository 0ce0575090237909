package dev.gpufleet.scheduler;

import dev.gpufleet.localstack.testing.TestClusterToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.scheduler.testing.Events;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler's restart property, against the packaged service as a separate process: a model with 2 replicas gets
 * 2 PENDING instances, scaling to 1 deletes exactly one, and SIGKILLing the scheduler in the middle (once after
 * the instances were published, before Kafka offsets were likely committed; once right after the scale-down was
 * committed to the database, before its offset was committed and maybe before its events were relayed) loses
 * and duplicates nothing.
 */
class SchedulerRestartIT {
    private static final String TOKEN = "it-cluster-token-0123456789abcdef";
    private static final String DATABASE = "gpufleet";
    private static final String USER = "gpufleet";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;
    private static String dbPassword;
    private static Path workDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Path> logs = new ArrayList<>();
    private Process scheduler;
    private int httpPort;
    private Events events;

    @BeforeAll
    static void startInfrastructure() throws IOException {
        workDir = Path.of(System.getProperty("scheduler.it.dir", "target/it")).resolve("restart");
        Files.createDirectories(workDir);
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
        postgres = EmbeddedPostgresServer.start(null, 0);
        dbPassword = UUID.randomUUID().toString();
        postgres.ensureDatabase(DATABASE, USER, dbPassword);
    }

    @AfterAll
    static void stopInfrastructure() {
        if (kafka != null) {
            kafka.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @AfterEach
    void killScheduler() {
        if (events != null) {
            events.close();
        }
        kill();
    }

    @Test
    void scaleDownWithRestartsInTheMiddleLosesAndDuplicatesNothing() throws Exception {
        try {
            events = new Events(kafka.bootstrapServers());
            String modelId = UUID.randomUUID().toString();

            startScheduler();
            events.send(Topics.MODELS, Events.modelChanged(modelId, "restart-demo", 2), 1);
            Events.InstanceLog log = await("2 PENDING instances published", () -> events.instanceLog(modelId),
                    l -> l.createdIds().size() >= 2);
            for (var e : log.changed()) {
                assertEquals(InstanceState.PENDING, e.payload().state());
            }
            kill(); // the model message's offset is most likely not committed yet: it will be redelivered

            startScheduler();
            events.send(Topics.MODELS, Events.modelChanged(modelId, "restart-demo", 1), 2);
            await("the scale-down committed", () -> modelRevision(modelId), revision -> revision == 2);
            kill(); // its offset is not committed yet, and its events may not be relayed yet

            startScheduler();
            await("one instance deleted", () -> events.instanceLog(modelId), l -> !l.tombstones().isEmpty());
            // the redelivered model messages were handled (offsets commit only after that), and periodic
            // reconciliation (every second here) had time to do anything wrong
            await("gpufleet.models consumed to its end", this::modelsLag, lag -> lag == 0);
            Thread.sleep(2_000);
            log = events.instanceLog(modelId);
            List<String> listed = listedInstanceIds(modelId);

            assertEquals(2, log.createdIds().size(), "exactly 2 distinct instances ever created: " + log);
            assertEquals(1, log.deletedIds().size(), "exactly one deleted: " + log);
            assertEquals(1, log.liveIds().size(), "exactly one live: " + log);
            assertEquals(new ArrayList<>(log.liveIds()), listed, "the API lists the live one");
            assertTrue(log.createdIds().containsAll(log.deletedIds()), "only created instances are deleted");
            Set<String> deletedOnce = new HashSet<>();
            log.deleted().forEach(e -> assertEquals(2, e.revision(), "deletion is revision 2"));
            log.deleted().forEach(e -> deletedOnce.add(e.payload().instanceId()));
            for (var e : log.changed()) {
                // at-least-once may repeat an event, but every InstanceChanged is the same revision 1 PENDING
                InstanceChanged c = e.payload();
                assertEquals(1, e.revision(), "InstanceChanged revision of " + c.instanceId());
                assertEquals(InstanceState.PENDING, c.state());
            }
            assertEquals(1, deletedOnce.size());
            assertEquals(1, count("SELECT count(*) FROM scheduler.instance WHERE model_id = ?", modelId));
            assertEquals(0, count("SELECT count(*) FROM scheduler.outbox WHERE sent_at IS NULL"),
                    "every outbox row relayed");
        } catch (Throwable t) {
            printLogs();
            throw t;
        }
    }

    private int portRetries;

    private void startScheduler() throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("scheduler.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "run `package` first: " + jar + " is missing");
        httpPort = FreePorts.pick();
        Path log = workDir.resolve("scheduler-" + (logs.size() + 1) + ".log");
        logs.add(log);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dquarkus.log.category.\"dev.gpufleet\".level=DEBUG", "-jar", jar.toAbsolutePath().toString())
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl(DATABASE),
                "QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl(DATABASE),
                "QUARKUS_DATASOURCE_USERNAME", USER,
                "QUARKUS_DATASOURCE_PASSWORD", dbPassword,
                "GPUFLEET_CLUSTER_TOKEN", TOKEN,
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_PORT", String.valueOf(httpPort),
                "GPUFLEET_SCHEDULER_RECONCILE_INTERVAL", "1s",
                "GPUFLEET_SCHEDULER_OUTBOX_POLL_INTERVAL", "1s"));
        env.put("GPUFLEET_METRICS_TOKEN", TestClusterToken.METRICS_TOKEN);
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", "0");
        scheduler = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!scheduler.isAlive()) {
                // the free port picked may be taken by another process before the scheduler binds it
                if (Files.readString(log).contains("seems to be in use") && portRetries++ < 3) {
                    startScheduler();
                    return;
                }
                throw new AssertionError("scheduler exited with " + scheduler.exitValue() + " before it was ready");
            }
            if (status("/q/health/ready") == 200) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("scheduler was not ready within 90 s");
    }

    /** SIGKILL: no shutdown hooks, no final commits, no flushes. */
    private void kill() {
        if (scheduler != null && scheduler.isAlive()) {
            scheduler.destroyForcibly();
            try {
                scheduler.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        scheduler = null;
    }

    /** Messages on gpufleet.models whose offsets the scheduler's group has not committed. */
    private long modelsLag() {
        TopicPartition partition = new TopicPartition(Topics.MODELS, 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets("scheduler-service")
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).get(partition);
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS)
                    .get(partition).offset();
            return end - (committed == null ? 0 : committed.offset());
        } catch (Exception e) {
            return -1;
        }
    }

    private long modelRevision(String modelId) {
        return count("SELECT coalesce(max(revision), 0) FROM scheduler.model WHERE id = ?", modelId);
    }

    private long count(String sql, String... args) {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(DATABASE), USER, dbPassword);
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setString(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            return -1; // the schema may not exist yet
        }
    }

    private int status(String path) throws InterruptedException {
        try {
            return http.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private List<String> listedInstanceIds(String modelId) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request("/api/v1/instances?model_id=" + modelId),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = EventCodec.mapper().readTree(response.body());
        List<String> ids = new ArrayList<>();
        body.get("items").forEach(item -> ids.add(item.get("id").asText()));
        return ids;
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(5))
                .build();
    }

    private static <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
    }

    private void printLogs() {
        Map<Path, String> contents = new HashMap<>();
        for (Path log : logs) {
            try {
                contents.put(log, Files.readString(log, StandardCharsets.UTF_8));
            } catch (IOException e) {
                contents.put(log, "(unreadable: " + e + ")");
            }
            System.out.println("===== " + log + " =====\n" + contents.get(log));
        }
    }
}
