package dev.gpufleet.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.SchedulerProcess;
import dev.gpufleet.scheduler.testing.TcpProxy;
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
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A leader cut off from PostgreSQL but alive: scheduler A reaches PostgreSQL through a TCP proxy that the test
 * black-holes, scheduler B directly. A stops acting before B starts (their own logs say when), B leads in a later
 * epoch and places what comes meanwhile, and once the link is back nothing A wrote is of its old epoch after B's
 * began: never two writers.
 */
class SchedulerFencingIT {
    private static final String DATABASE = "gpufleet";
    private static final String USER = "gpufleet";
    private static final long GIB = 1L << 30;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int WORKERS = 3;
    private static final int REPLICAS = 2;
    private static final Duration POLL = Duration.ofMillis(500);
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration TAKEOVER = Duration.ofMillis(2500);
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
    private static final Pattern LOG_LINE = Pattern.compile("^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3}) .*");

    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;
    private static String dbPassword;
    private static Path workDir;

    private final List<SchedulerProcess> schedulers = new ArrayList<>();
    private final List<Heartbeats> workers = new ArrayList<>();
    private Events events;
    private TcpProxy proxy;

    @BeforeAll
    static void startInfrastructure() throws IOException {
        workDir = Path.of(System.getProperty("scheduler.it.dir", "target/it")).resolve("fencing");
        Files.createDirectories(workDir);
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(2);
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
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void aLeaderCutOffFromPostgresStopsBeforeAnotherStartsAndNeverWritesAfterIt() throws Exception {
        SchedulerProcess a = null;
        SchedulerProcess b = null;
        try {
            events = new Events(kafka.bootstrapServers());
            proxy = new TcpProxy(postgres.port());
            a = start("scheduler-a", proxy.port());
            SchedulerProcess first = a;
            await("scheduler-a leads", () -> roleOf(first), "leader"::equals);
            b = start("scheduler-b", postgres.port());
            SchedulerProcess second = b;
            await("scheduler-b follows", () -> roleOf(second), "follower"::equals);

            for (int n = 0; n < WORKERS; n++) {
                String id = UUID.randomUUID().toString();
                workers.add(new Heartbeats(events, Clock.systemUTC(),
                        Heartbeats.cpuWorker(id, "fence-worker-" + n, "10.9.1." + n, Map.of("pool", "fence"),
                                16 * GIB, 2 * GIB)).start());
            }
            List<String> before = createModels("before", 3);
            await("every instance placed by scheduler-a", () -> placed(before), c -> c == 3L * REPLICAS);
            long epochOfA = a.getJson("/api/v1/scheduler/leader").get("epoch").asLong();

            proxy.blackHole();
            long cutAt = System.nanoTime();
            await("scheduler-b leads", () -> roleOf(second), "leader"::equals);
            Duration takeover = Duration.ofNanos(System.nanoTime() - cutAt);
            JsonNode seenByB = b.getJson("/api/v1/scheduler/leader");
            long epochOfB = seenByB.get("epoch").asLong();
            assertTrue(epochOfB > epochOfA, "a later epoch: " + epochOfA + " then " + epochOfB);
            assertEquals("follower", roleOf(a), "scheduler-a, cut off, says it follows");

            LocalDateTime aStopped = logTime(a, "Scheduler scheduler-a is no longer the leader");
            LocalDateTime bStarted = logTime(b, "Scheduler scheduler-b is now the leader");
            assertTrue(aStopped.isBefore(bStarted), "scheduler-a stopped at " + aStopped
                    + ", scheduler-b started at " + bStarted);
            assertTrue(takeover.compareTo(TAKEOVER.minus(POLL)) >= 0, "not before the takeover delay: " + takeover);

            // the new leader acts while the old one is still cut off: models already applied (rows written
            // directly, as their consumer would), which its periodic reconciliation places; events on the partitions
            // scheduler-a consumes wait for it until the link is back
            List<String> during = insertModels("during", 2);
            await("every instance placed by scheduler-b", () -> placed(during), c -> c == 2L * REPLICAS);

            proxy.heal();
            // scheduler-a reaches PostgreSQL again (its answer names the holder from the database) and follows
            await("scheduler-a sees scheduler-b lead", () -> leaderSeenBy(first), "scheduler-b"::equals);
            List<String> after = createModels("after", 2);
            await("every instance placed after the heal", () -> placed(after), c -> c == 2L * REPLICAS);
            await("every outbox row relayed", () -> count("SELECT count(*) FROM scheduler.outbox"
                    + " WHERE sent_at IS NULL"), c -> c == 0L);

            assertEquals(0, count("SELECT count(*) FROM scheduler.outbox o, scheduler.leader l"
                    + " WHERE o.leader_epoch = ? AND o.created_at >= l.since", epochOfA),
                    "rows of scheduler-a's epoch written after scheduler-b's began");
            assertEquals(0, count("SELECT count(*) FROM scheduler.outbox o, scheduler.leader l"
                    + " WHERE o.written_by = 'gpufleet-scheduler-pool:scheduler-a' AND o.created_at >= l.since"),
                    "rows scheduler-a wrote after scheduler-b's epoch began (it applied no observations)");
            assertTrue(count("SELECT count(*) FROM scheduler.outbox WHERE leader_epoch = ?", epochOfB) > 0,
                    "scheduler-b's leader work carries its epoch");
            assertEquals(epochOfB, count("SELECT epoch FROM scheduler.leader"));
            List<String> all = new ArrayList<>(before);
            all.addAll(during);
            all.addAll(after);
            for (String modelId : all) {
                Events.InstanceLog log = events.instanceLog(modelId);
                assertEquals(REPLICAS, log.createdIds().size(), "instances ever published for " + modelId + ": "
                        + log);
                assertTrue(log.deletedIds().isEmpty(), "nothing deleted for " + modelId + ": " + log);
                assertEquals(REPLICAS, count("SELECT count(*) FROM scheduler.instance WHERE model_id = ?", modelId));
            }
            System.out.printf("fencing: takeover %d ms after the cut; scheduler-a stopped %s, scheduler-b led %s%n",
                    takeover.toMillis(), aStopped, bStarted);
        } catch (Throwable t) {
            schedulers.forEach(s -> System.out.println("===== " + s.name() + " =====\n" + s.logText()));
            throw t;
        }
    }

    private SchedulerProcess start(String name, int postgresPort) throws IOException, InterruptedException {
        String host = "127.0.0.1:" + postgresPort + "/" + DATABASE;
        SchedulerProcess process = SchedulerProcess.start(name, workDir, Map.ofEntries(
                Map.entry("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers()),
                Map.entry("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://" + host),
                Map.entry("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://" + host),
                Map.entry("QUARKUS_DATASOURCE_USERNAME", USER),
                Map.entry("QUARKUS_DATASOURCE_PASSWORD", dbPassword),
                Map.entry("GPUFLEET_SCHEDULER_RECONCILE_INTERVAL", "1s"),
                Map.entry("GPUFLEET_SCHEDULER_OUTBOX_POLL_INTERVAL", "1s"),
                Map.entry("GPUFLEET_SCHEDULER_LEADER_POLL_INTERVAL", POLL.toMillis() + "ms"),
                Map.entry("GPUFLEET_SCHEDULER_LEADER_LEASE", LEASE.toMillis() + "ms"),
                Map.entry("GPUFLEET_SCHEDULER_LEADER_TAKEOVER_DELAY", TAKEOVER.toMillis() + "ms")));
        schedulers.add(process);
        return process;
    }

    private List<String> createModels(String prefix, int count) {
        List<String> ids = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            events.send(Topics.MODELS, Events.modelChanged(id, Events.spec(prefix + "-" + n, REPLICAS,
                    Map.of("pool", "fence")), new ResourceEstimate(GIB, 0)), 1);
        }
        return ids;
    }

    /** Model rows as the model consumer writes them, without their events. */
    private List<String> insertModels(String prefix, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(DATABASE), USER, dbPassword);
             PreparedStatement ps = c.prepareStatement("INSERT INTO scheduler.model"
                     + " (id, name, spec, estimate, replicas, deleted, revision, updated_at)"
                     + " VALUES (?, ?, ?::jsonb, ?::jsonb, ?, false, 1, now())")) {
            for (int n = 0; n < count; n++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                ModelSpec spec = Events.spec(prefix + "-" + n, REPLICAS, Map.of("pool", "fence"));
                ps.setString(1, id);
                ps.setString(2, spec.name());
                ps.setString(3, EventCodec.mapper().writeValueAsString(spec));
                ps.setString(4, EventCodec.mapper().writeValueAsString(new ResourceEstimate(GIB, 0)));
                ps.setInt(5, REPLICAS);
                ps.executeUpdate();
            }
        }
        return ids;
    }

    /** Instances of these models whose latest published state is past PENDING. */
    private long placed(List<String> modelIds) {
        long placed = 0;
        for (String modelId : modelIds) {
            Map<String, InstanceState> latest = new HashMap<>();
            events.instanceLog(modelId).changed().forEach(e -> latest.put(e.payload().instanceId(),
                    e.payload().state()));
            placed += latest.values().stream().filter(s -> s != InstanceState.PENDING).count();
        }
        return placed;
    }

    private static String roleOf(SchedulerProcess process) {
        JsonNode body = leaderView(process);
        return body == null ? null : body.get("role").asText();
    }

    private static String leaderSeenBy(SchedulerProcess process) {
        JsonNode body = leaderView(process);
        return body == null || body.get("leader").isNull() ? null : body.get("leader").asText();
    }

    private static JsonNode leaderView(SchedulerProcess process) {
        try {
            return process.getJson("/api/v1/scheduler/leader");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** When the process first logged a line containing {@code text}, by its own log's timestamp. */
    private static LocalDateTime logTime(SchedulerProcess process, String text) {
        for (String line : process.logText().split("\n")) {
            Matcher m = LOG_LINE.matcher(line);
            if (line.contains(text) && m.matches()) {
                return LocalDateTime.parse(m.group(1), LOG_TIME);
            }
        }
        throw new AssertionError(process.name() + " never logged '" + text + "'");
    }

    private long count(String sql, Object... args) {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(DATABASE), USER, dbPassword);
             PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    private static <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (last != null && done.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
    }
}
