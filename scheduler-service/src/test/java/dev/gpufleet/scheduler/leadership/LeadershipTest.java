package dev.gpufleet.scheduler.leadership;

import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.Events;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * This scheduler against a rival that takes the leader row from it: it stops leading, follows (applies a model but
 * does not reconcile it, and NOTIFYs the leader instead), its leader-only transactions fail on the fence, and once
 * the rival hands over it leads again in a new epoch and catches up.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class LeadershipTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "quarkus.datasource.jdbc.url")
    String jdbcUrl;
    @ConfigProperty(name = "quarkus.datasource.username")
    String dbUser;
    @ConfigProperty(name = "quarkus.datasource.password")
    java.util.Optional<String> dbPassword;
    @Inject
    DataSource dataSource;
    @Inject
    Leadership leadership;
    @Inject
    LeaderFence fence;

    @Test
    void aLoneSchedulerLeadsAndSaysSo() {
        await().atMost(PATIENCE).until(leadership::isLeader);
        given().auth().oauth2(TOKEN).get("/api/v1/scheduler/leader").then().statusCode(200)
                .body("role", equalTo("leader"))
                .body("instance", equalTo(leadership.instanceId()))
                .body("leader", equalTo(leadership.instanceId()))
                .body("epoch", equalTo((int) leadership.epoch()));
        given().get("/q/health/ready").then().statusCode(200);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("gpufleet_scheduler_leader"));
        given().get("/api/v1/scheduler/leader").then().statusCode(401);
    }

    @Test
    void aFollowerAppliesButLeavesTheWorkToTheLeaderAndTakesOverWhenItGoes() throws Throwable {
        await().atMost(PATIENCE).until(leadership::isLeader);
        String modelId = UUID.randomUUID().toString();
        // its own session, not a pooled one: closing it must end the session and so free the lock
        try (Connection rival = java.sql.DriverManager.getConnection(jdbcUrl, dbUser, dbPassword.orElse(null));
             Events events = new Events(bootstrapServers)) {
            rival.setAutoCommit(true);
            // the rival takes over with a new epoch and a lease far into the future
            execute(rival, "SET application_name = 'rival'");
            execute(rival, "UPDATE scheduler.leader SET epoch = epoch + 1, holder = 'rival',"
                    + " renewed_at = clock_timestamp() + interval '1 hour', since = clock_timestamp() WHERE id = 1");
            execute(rival, "LISTEN " + Leadership.CHANNEL);
            await().atMost(PATIENCE).until(() -> !leadership.isLeader());
            given().auth().oauth2(TOKEN).get("/api/v1/scheduler/leader").then().statusCode(200)
                    .body("role", equalTo("follower")).body("leader", equalTo("rival"))
                    .body("epoch", org.hamcrest.Matchers.nullValue());
            assertThrows(LeaderFence.Superseded.class, () -> VertxContextSupport.subscribeAndAwait(
                    () -> Panache.withTransaction(fence::check)), "leader-only work is fenced off on a follower");
            given().get("/q/health/ready").then().statusCode(200);

            events.send(Topics.MODELS, Events.modelChanged(modelId, "follower-applies", 2), 1);
            List<String> asked = new ArrayList<>();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (!asked.contains(modelId) && System.nanoTime() < deadline) {
                PGNotification[] notes = rival.unwrap(PGConnection.class).getNotifications(200);
                if (notes != null) {
                    for (PGNotification note : notes) {
                        asked.add(note.getParameter());
                    }
                }
            }
            assertTrue(asked.contains(modelId), "the follower asked the leader to reconcile the model: " + asked);
            assertEquals(1, count(rival, "SELECT count(*) FROM scheduler.model WHERE id = '" + modelId + "'"),
                    "the follower applied the model");
            Thread.sleep(2_500); // longer than the test profile's reconcile interval
            assertEquals(0, count(rival, "SELECT count(*) FROM scheduler.instance WHERE model_id = '" + modelId
                    + "'"), "the follower created no instances");
            // the rival hands over, as a leader that shuts down does
            execute(rival, "UPDATE scheduler.leader SET renewed_at = '-infinity' WHERE id = 1 AND holder = 'rival'");
        }
        await().atMost(PATIENCE).until(leadership::isLeader);
        long epoch = leadership.epoch();
        try (Connection c = dataSource.getConnection()) {
            await().atMost(PATIENCE).until(() -> count(c,
                    "SELECT count(*) FROM scheduler.instance WHERE model_id = '" + modelId + "'") == 2);
            assertEquals(epoch, count(c, "SELECT epoch FROM scheduler.leader"), "leads in the epoch after the rival's");
            // the outbox rows of the model's new instances were written by leader-only work, in this epoch
            assertEquals(epoch, count(c, "SELECT min(o.leader_epoch) FROM scheduler.outbox o JOIN scheduler.instance i"
                    + " ON o.msg_key = i.id::text WHERE i.model_id = '" + modelId + "'"));
            assertEquals(epoch, count(c, "SELECT max(o.leader_epoch) FROM scheduler.outbox o JOIN scheduler.instance i"
                    + " ON o.msg_key = i.id::text WHERE i.model_id = '" + modelId + "'"));
        }
        VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(fence::check));
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
