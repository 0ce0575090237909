package dev.gpufleet.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.SchedulerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler's high availability: two schedulers against one Kafka and one PostgreSQL, exactly one leads and acts;
 * SIGKILL the leader and the other takes over within 10 s, and the work goes on with nothing lost or doubled.
 */
class SchedulerFailoverIT {
    private static final String DATABASE = "gpufleet";
    private static final String USER = "gpufleet";
    private static final long GIB = 1L << 30;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int WORKERS = 4;
    private static final int MODELS_BEFORE = 6;
    private static final int MODELS_AFTER = 6;
    private static final int REPLICAS = 2;

    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;
    private static String dbPassword;
    private static Path workDir;

    private final List<SchedulerProcess> schedulers = new ArrayList<>();
    private final List<Heartbeats> workers = new ArrayList<>();
    private Events events;

    @BeforeAll
    static void startInfrastructure() throws IOException {
        workDir = Path.of(System.getProperty("scheduler.it.dir", "target/it")).resolve("failover");
        Files.createDirectories(workDir);
        kafka = EmbeddedKafka.throwaway().start();
        // several partitions, so both schedulers' consumers get a share of every topic
        kafka.createTopics(4);
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
    void stopEverything() {
        workers.forEach(Heartbeats::close);
        if (events != null) {
            events.close();
        }
        schedulers.forEach(SchedulerProcess::kill);
    }

    @Test
    void killingTheLeaderHandsOverWithinTenSecondsAndLosesOrDoublesNothing() throws Exception {
        try {
            events = new Events(kafka.bootstrapServers());
            SchedulerProcess a = start("scheduler-a");
            SchedulerProcess b = start("scheduler-b");

            Map<String, String> roles = await("exactly one leader", () -> roles(a, b),
                    r -> r.values().stream().filter("leader"::equals).count() == 1
                            && r.values().stream().filter("follower"::equals).count() == 1);
            SchedulerProcess leader = "leader".equals(roles.get(a.name())) ? a : b;
            SchedulerProcess follower = leader == a ? b : a;
            JsonNode seenByFollower = follower.getJson("/api/v1/scheduler/leader");
            assertNotNull(seenByFollower);
            assertEquals(leader.name(), seenByFollower.get("leader").asText(), "the follower names the leader");

            for (int n = 0; n < WORKERS; n++) {
                String id = UUID.randomUUID().toString();
                workers.add(new Heartbeats(events, Clock.systemUTC(),
                        Heartbeats.cpuWorker(id, "ha-worker-" + n, "10.9.0." + n, Map.of("pool", "ha"), 16 * GIB,
                                2 * GIB)).start());
            }
            List<String> before = createModels("before", MODELS_BEFORE);
            await("every instance SCHEDULED before the kill", () -> scheduledCount(before),
                    c -> c == (long) MODELS_BEFORE * REPLICAS);
            assertFalse(follower.logText().contains("instances, creating"),
                    "the follower reconciled a model:\n" + follower.logText());
            assertFalse(follower.logText().contains("is now the leader"), "the follower led:\n" + follower.logText());

            long killedAt = System.nanoTime();
            leader.kill();
            await("the follower leads", () -> roleOf(follower), "leader"::equals);
            Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
            assertTrue(takeover.compareTo(Duration.ofSeconds(10)) < 0, "took over in " + takeover);

            List<String> after = createModels("after", MODELS_AFTER);
            await("every new instance SCHEDULED after the kill", () -> scheduledCount(after),
                    c -> c == (long) MODELS_AFTER * REPLICAS);
            // periodic reconciliation (every second here) had time to do anything wrong
            Thread.sleep(3_000);

            List<String> all = new ArrayList<>(before);
            all.addAll(after);
            List<ConsumerRecordView> published = publishedChanges();
            for (String modelId : all) {
                Events.InstanceLog log = events.instanceLog(modelId);
                assertEquals(REPLICAS, log.createdIds().size(), "instances ever published for " + modelId + ": " + log);
                assertTrue(log.deletedIds().isEmpty(), "nothing deleted for " + modelId + ": " + log);
                assertEquals(REPLICAS, count("SELECT count(*) FROM scheduler.instance WHERE model_id = ?", modelId));
            }
            assertRevisionsIncrease(published);
            assertClaimsFit();
            assertEquals(0, count("SELECT count(*) FROM scheduler.outbox WHERE sent_at IS NULL"),
                    "every outbox row relayed");
        } catch (Throwable t) {
            schedulers.forEach(s -> System.out.println("===== " + s.name() + " =====\n" + s.logText()));
            throw t;
        }
    }

    private SchedulerProcess start(String name) throws IOException, InterruptedException {
        SchedulerProcess process = SchedulerProcess.start(name, workDir, Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl(DATABASE),
                "QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl(DATABASE),
                "QUARKUS_DATASOURCE_USERNAME", USER,
                "QUARKUS_DATASOURCE_PASSWORD", dbPassword,
                "GPUFLEET_SCHEDULER_RECONCILE_INTERVAL", "1s",
                "GPUFLEET_SCHEDULER_OUTBOX_POLL_INTERVAL", "1s"));
        schedulers.add(process);
        return process;
    }

    private List<String> createModels(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            events.send(Topics.MODELS, Events.modelChanged(id, Events.spec(prefix + "-" + n, REPLICAS,
                    Map.of("pool", "ha")), new ResourceEstimate(GIB, 0)), 1);
        }
        return ids;
    }

    private Map<String, String> roles(SchedulerProcess... processes) {
        Map<String, String> roles = new LinkedHashMap<>();
        for (SchedulerProcess p : processes) {
            roles.put(p.name(), roleOf(p));
        }
        return roles;
    }

    private static String roleOf(SchedulerProcess process) {
        try {
            JsonNode body = process.getJson("/api/v1/scheduler/leader");
            return body == null ? null : body.get("role").asText();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Instances of these models whose latest published state is SCHEDULED or later. */
    private long scheduledCount(List<String> modelIds) {
        long placed = 0;
        for (String modelId : modelIds) {
            Map<String, InstanceState> latest = new HashMap<>();
            events.instanceLog(modelId).changed().forEach(e -> latest.put(e.payload().instanceId(), e.payload().state()));
            placed += latest.values().stream().filter(s -> s != InstanceState.PENDING).count();
        }
        return placed;
    }

    private record ConsumerRecordView(String instanceId, long revision, String state) {
    }

    private List<ConsumerRecordView> publishedChanges() throws Exception {
        List<ConsumerRecordView> views = new ArrayList<>();
        for (var record : events.readAll(Topics.INSTANCES)) {
            if (record.value() == null) {
                continue;
            }
            Envelope<?> envelope = EventCodec.decode(record.value());
            if (envelope.payload() instanceof InstanceChanged c) {
                views.add(new ConsumerRecordView(c.instanceId(), envelope.revision(), c.state().name()));
            }
        }
        return views;
    }

    /**
     * Per instance, revisions never go back, and a revision published twice (at-least-once: a relayed batch the
     * killed leader had not marked sent) says the same thing both times: two different changes never share one.
     */
    private static void assertRevisionsIncrease(List<ConsumerRecordView> published) {
        Map<String, ConsumerRecordView> last = new HashMap<>();
        for (ConsumerRecordView view : published) {
            ConsumerRecordView previous = last.put(view.instanceId(), view);
            if (previous == null) {
                assertEquals(1, view.revision(), "first revision of " + view.instanceId());
                continue;
            }
            assertTrue(view.revision() >= previous.revision(), "revision went back: " + previous + " then " + view);
            if (view.revision() == previous.revision()) {
                assertEquals(previous, view, "two different changes with one revision");
            }
        }
    }

    /** No worker has more RAM claimed than it has. */
    private void assertClaimsFit() throws SQLException {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(DATABASE), USER, dbPassword);
             PreparedStatement ps = c.prepareStatement("SELECT w.id, w.memory_total_bytes,"
                     + " coalesce(sum((i.assignment->'claim'->>'ramBytes')::bigint), 0)"
                     + " FROM scheduler.worker w LEFT JOIN scheduler.instance i ON i.worker_id = w.id GROUP BY w.id");
             ResultSet rs = ps.executeQuery()) {
            int rows = 0;
            while (rs.next()) {
                rows++;
                assertTrue(rs.getLong(3) <= rs.getLong(2), "worker " + rs.getString(1) + " claims " + rs.getLong(3)
                        + " of " + rs.getLong(2) + " bytes");
            }
            assertEquals(WORKERS, rows);
        }
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
            return -1;
        }
    }

    private static <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
    }
}
