package dev.gpufleet.scheduler.messaging;

import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the scheduler does when applying a valid message fails, against the real broker and database: a message
 * PostgreSQL refuses is dead-lettered after bounded retries and the next one on its partition applies; a message
 * whose database session is killed again and again is retried until it applies; text from a backend with U+0000
 * in it is cleaned and stored.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class PoisonMessageTest {
    static final Duration PATIENCE = Duration.ofSeconds(40);
    static final long GIB = 1L << 30;
    static final String SECRET = "hf_poison_SECRET_0123456789";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    DataSource dataSource;

    InstanceFlow flow;
    Events events;

    @BeforeEach
    void connect() {
        flow = new InstanceFlow(bootstrapServers, Clock.systemUTC(), PATIENCE);
        events = flow.events();
    }

    @AfterEach
    void disconnect() {
        flow.close();
    }

    private static ModelSpec spec(String name, List<String> parameters, Map<String, String> env) {
        return new ModelSpec(name, ModelSource.localPath("/models/" + name + ".gguf"), "llama-box", null, parameters,
                env, 1, List.of(), "spread", true, false, Events.NO_WORKER, List.of(), true);
    }

    @Test
    void aModelWhoseSpecPostgresRefusesIsDeadLetteredAndTheNextRecordOfItsKeyApplies() throws Exception {
        String modelId = UUID.randomUUID().toString();
        // U+0000 cannot be stored in jsonb (SQLSTATE 22P05): retrying it for ever would stall the partition
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec("nul-" + modelId.substring(0, 6),
                List.of("--chat-template=a\u0000b"), Map.of("HF_TOKEN", SECRET)), new ResourceEstimate(GIB, 0)), 1);
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec("nul-" + modelId.substring(0, 6),
                List.of("--chat-template=ab"), Map.of()), new ResourceEstimate(GIB, 0)), 2);

        await().atMost(PATIENCE).until(() -> modelRevision(modelId), r -> r.orElse(0L) == 2);
        DeadLetter letter = awaitDeadLetter(modelId);
        assertEquals(Topics.MODELS, letter.topic());
        assertTrue(letter.error().contains("failed " + EventIntake.POISON_ATTEMPTS + " times"), letter.error());
        assertTrue(letter.error().contains("SQLSTATE 22P05"), letter.error());
        assertFalse(letter.value().contains(SECRET), "env values are redacted in dead letters: " + letter.value());
        assertTrue(letter.value().contains("HF_TOKEN"), letter.value());
        assertEquals(1, deadLettersOf(modelId).size(), "dead-lettered once; the next record was applied");
    }

    @Test
    void aModelThatBreaksAConstraintIsDeadLetteredAndTheNextRecordOfItsKeyApplies() throws Exception {
        String modelId = UUID.randomUUID().toString();
        String constraint = "test_name_" + modelId.substring(0, 8);
        execute("ALTER TABLE scheduler.model ADD CONSTRAINT " + constraint + " CHECK (name NOT LIKE 'too-long-%')");
        try {
            events.send(Topics.MODELS, Events.modelChanged(modelId, "too-long-" + modelId, 1), 1);
            events.send(Topics.MODELS, Events.modelChanged(modelId, "fits-" + modelId.substring(0, 6), 1), 2);

            await().atMost(PATIENCE).until(() -> modelRevision(modelId), r -> r.orElse(0L) == 2);
            DeadLetter letter = awaitDeadLetter(modelId);
            assertTrue(letter.error().contains("SQLSTATE 23514"), letter.error());
            assertEquals(1, deadLettersOf(modelId).size());
        } finally {
            execute("ALTER TABLE scheduler.model DROP CONSTRAINT " + constraint);
        }
    }

    @Test
    void aMessageWhoseSessionIsKilledAgainAndAgainIsRetriedUntilItApplies() throws Exception {
        String modelId = UUID.randomUUID().toString();
        int kills = EventIntake.POISON_ATTEMPTS + 1;
        try (Connection holder = dataSource.getConnection()) {
            holder.setAutoCommit(false);
            // the model's lock, so the consumer's transaction waits where the test can find and kill its session
            try (PreparedStatement ps = holder.prepareStatement(
                    "SELECT pg_advisory_xact_lock(8082, hashtext(?))")) {
                ps.setString(1, modelId);
                ps.execute();
            }
            events.send(Topics.MODELS, Events.modelChanged(modelId, "killed-" + modelId.substring(0, 6), 1), 1);
            for (int kill = 0; kill < kills; kill++) {
                int pid = await().atMost(PATIENCE).until(() -> sessionWaitingForTheLockOf(modelId), p -> p > 0);
                execute("SELECT pg_terminate_backend(" + pid + ")");
                await().atMost(PATIENCE).until(() -> !isAlive(pid));
            }
            holder.commit();
        }
        await().atMost(PATIENCE).until(() -> modelRevision(modelId), r -> r.orElse(0L) == 1);
        assertEquals(List.of(), deadLettersOf(modelId), "the database going away is no reason to drop a message");
    }

    @Test
    void anObservationWithControlCharactersIsStoredCleanedAndTheNextOneApplies() {
        String pool = UUID.randomUUID().toString();
        String workerId = UUID.randomUUID().toString();
        flow.worker(new WorkerReported(workerId, "poison-" + workerId.substring(0, 6), "10.1.9.1", 10150, "linux",
                "amd64", Map.of("pool", pool), 8, 5.0, 16 * GIB, 2 * GIB, List.of(), WorkerState.READY, null,
                List.of(), 5));
        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec("nul-log-" + modelId.substring(0, 6), 1,
                Map.of("pool", pool)), new ResourceEstimate(GIB, 0)), 1);
        String instanceId = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();

        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.STARTING, null, 40100, 4242L,
                "loading\u0000 model \u001b[32mok\u001b[0m", 0), 1);
        InstanceChanged starting = flow.awaitChange(modelId, c -> c.state() == InstanceState.STARTING);
        assertEquals("loading model ok", starting.stateMessage());
        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.RUNNING, null, 40100, 4242L, null, 0),
                2);
        flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        assertEquals(List.of(), deadLettersOf(instanceId));
    }

    private int sessionWaitingForTheLockOf(String modelId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_locks WHERE locktype = 'advisory'"
                     + " AND NOT granted AND classid = 8082 AND objid::bigint = (hashtext(?)::bigint & 4294967295)")) {
            ps.setString(1, modelId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    private boolean isAlive(int pid) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private Optional<Long> modelRevision(String modelId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT revision FROM scheduler.model WHERE id = ?")) {
            ps.setString(1, modelId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private DeadLetter awaitDeadLetter(String key) {
        return await().atMost(PATIENCE).until(() -> deadLettersOf(key), l -> !l.isEmpty()).get(0);
    }

    private List<DeadLetter> deadLettersOf(String key) {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<String, String> r : events.readAll(Topics.DEAD_LETTER)) {
            if (!key.equals(r.key())) {
                continue;
            }
            try {
                letters.add(EventCodec.decodeDeadLetter(r.value()));
            } catch (MalformedEventException e) {
                throw new IllegalStateException(e);
            }
        }
        return letters;
    }
}
