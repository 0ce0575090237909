package dev.gpufleet.scheduler.instances;

import dev.gpufleet.scheduler.persistence.Transactions;
import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.Events;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.vertx.VertxContext;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model events in, instance events out, through the real broker and database. */
@QuarkusTest
@WithTestKafkaAndPostgres
class ModelReplicasTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    DataSource dataSource;
    @Inject
    InstanceReconciler reconciler;
    @Inject
    Vertx vertx;

    Events events;

    @BeforeEach
    void connect() {
        events = new Events(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        events.close();
    }

    @Test
    void createsScalesDownIgnoresOldRevisionsAndDeletes() throws SQLException {
        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, "Qwen2.5-0.5B", 2), 1);

        Events.InstanceLog log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId),
                l -> l.changed().size() >= 2);
        assertEquals(2, log.changed().size(), "exactly 2 InstanceChanged");
        assertEquals(2, log.createdIds().size(), "2 distinct instances");
        for (Envelope<InstanceChanged> e : log.changed()) {
            assertEquals(1, e.revision());
            assertEquals(InstanceState.PENDING, e.payload().state());
            assertTrue(e.payload().stateMessage().startsWith("No suitable workers."), e.payload().stateMessage());
            assertEquals("Qwen2.5-0.5B", e.payload().modelName());
            assertTrue(e.payload().name().matches("qwen2-5-0-5b-[0-9a-f]{6}"), e.payload().name());
            assertEquals(e.payload().instanceId(), e.key());
        }
        given().auth().oauth2(TOKEN).queryParam("model_id", modelId).get("/api/v1/instances").then()
                .statusCode(200)
                .body("items", hasSize(2))
                .body("items.state", everyItem(equalTo("PENDING")))
                .body("items.model_id", everyItem(equalTo(modelId)))
                .body("items.state_message", everyItem(startsWith("No suitable workers.")))
                .body("pagination.total", equalTo(2));

        events.send(Topics.MODELS, Events.modelChanged(modelId, "Qwen2.5-0.5B", 1), 2);
        log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId), l -> !l.tombstones().isEmpty());
        assertEquals(1, log.deleted().size(), "exactly one InstanceDeleted");
        Envelope<InstanceDeleted> deleted = log.deleted().get(0);
        assertEquals(2, deleted.revision(), "deletion is the instance's next revision");
        assertEquals(List.of(deleted.key()), log.tombstones(), "a tombstone follows the deletion");
        assertEquals(1, log.liveIds().size());
        String survivor = log.liveIds().iterator().next();
        given().auth().oauth2(TOKEN).queryParam("model_id", modelId).get("/api/v1/instances").then()
                .statusCode(200).body("items", hasSize(1)).body("items[0].id", equalTo(survivor));

        // a redelivered older revision changes nothing
        events.send(Topics.MODELS, Events.modelChanged(modelId, "Qwen2.5-0.5B", 2), 1);
        awaitModelEventsConsumed();
        assertEquals(log, events.instanceLog(modelId));
        assertEquals(1, instanceRows(modelId));

        events.send(Topics.MODELS, new ModelDeleted(modelId, "Qwen2.5-0.5B"), 3);
        log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId), l -> l.deleted().size() == 2);
        assertEquals(Set.of(), log.liveIds());
        assertEquals(2, log.tombstones().size());
        given().auth().oauth2(TOKEN).queryParam("model_id", modelId).get("/api/v1/instances").then()
                .statusCode(200).body("items", hasSize(0)).body("pagination.total", equalTo(0));

        // a late ModelChanged older than the deletion, even after the tombstone, cannot bring the model back
        events.sendRaw(Topics.MODELS, modelId, null);
        events.send(Topics.MODELS, Events.modelChanged(modelId, "Qwen2.5-0.5B", 2), 2);
        awaitModelEventsConsumed();
        assertEquals(log, events.instanceLog(modelId));
        assertEquals(0, instanceRows(modelId));
    }

    @Test
    void unusableMessagesAreDeadLetteredAndLaterOnesStillApply() {
        String garbageKey = "garbage-" + UUID.randomUUID();
        events.sendRaw(Topics.MODELS, garbageKey, "this is not an event {");
        String negativeId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(negativeId, "negative", -1), 1);

        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, "after-garbage", 1), 1);
        await().atMost(PATIENCE).until(() -> events.instanceLog(modelId).changed().size() == 1);

        List<DeadLetter> letters = await().atMost(PATIENCE).until(this::deadLetters,
                l -> l.stream().anyMatch(d -> negativeId.equals(d.key())));
        DeadLetter garbage = letters.stream().filter(d -> garbageKey.equals(d.key())).findFirst().orElseThrow();
        assertEquals(Topics.MODELS, garbage.topic());
        assertEquals("scheduler-service", garbage.consumer());
        assertEquals("this is not an event {", garbage.value());
        assertTrue(garbage.error().startsWith("not JSON"), garbage.error());
        DeadLetter negative = letters.stream().filter(d -> negativeId.equals(d.key())).findFirst().orElseThrow();
        assertTrue(negative.error().contains("replicas must be >= 0"), negative.error());
    }

    @Test
    void periodicReconciliationRepairsAModelThatIsOutOfStep() throws SQLException {
        String modelId = UUID.randomUUID().toString();
        insertModelRow(modelId, "repaired", 2);
        await().atMost(PATIENCE).until(() -> events.instanceLog(modelId).changed().size() == 2);
        assertEquals(2, instanceRows(modelId));
    }

    @Test
    void concurrentReconcilesOfOneModelCreateEachReplicaOnce() throws Exception {
        String modelId = UUID.randomUUID().toString();
        insertModelRow(modelId, "contended", 3);
        List<CompletableFuture<Boolean>> runs = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            CompletableFuture<Boolean> run = new CompletableFuture<>();
            Context context = VertxContext.getOrCreateDuplicatedContext(vertx);
            VertxContextSafetyToggle.setContextSafe(context, true);
            context.runOnContext(ignored ->
                    Transactions.run(() -> reconciler.reconcile(modelId))
                            .subscribe().with(run::complete, run::completeExceptionally));
            runs.add(run);
        }
        CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertEquals(3, instanceRows(modelId));
        assertEquals(3, count("SELECT count(*) FROM scheduler.outbox WHERE payload LIKE ?", "%" + modelId + "%"));
    }

    /** Sends a marker model and waits for its instance: the consumer handled everything sent before it. */
    private void awaitModelEventsConsumed() {
        String markerId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(markerId, "marker", 1), 1);
        await().atMost(PATIENCE).until(() -> events.instanceLog(markerId).changed().size() == 1);
    }

    private List<DeadLetter> deadLetters() {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<String, String> r : events.readAll(Topics.DEAD_LETTER)) {
            try {
                letters.add(EventCodec.decodeDeadLetter(r.value()));
            } catch (MalformedEventException e) {
                throw new IllegalStateException(e);
            }
        }
        return letters;
    }

    private void insertModelRow(String modelId, String name, int replicas) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO scheduler.model (id, name, spec, replicas, deleted, revision, updated_at)"
                        + " VALUES (?, ?, NULL, ?, false, 1, now())")) {
            ps.setString(1, modelId);
            ps.setString(2, name);
            ps.setInt(3, replicas);
            ps.executeUpdate();
        }
    }

    private long instanceRows(String modelId) throws SQLException {
        return count("SELECT count(*) FROM scheduler.instance WHERE model_id = ?", modelId);
    }

    private long count(String sql, String arg) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
