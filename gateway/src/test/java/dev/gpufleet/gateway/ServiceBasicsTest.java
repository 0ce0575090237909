package dev.gpufleet.gateway;

import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.Config;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
class ServiceBasicsTest {
    @Inject
    Config config;

    @Inject
    Pool database;

    /**
     * Ready means the routing table has caught up; Kafka and PostgreSQL are reported, as degraded when away, but
     * neither is a readiness check of its own any more.
     */
    private static final String OURS = "checks.find { it.name == 'gateway data plane' }";

    @Test
    void healthIsPublicAndReadyOnceTheRoutingTableCaughtUp() {
        given().get("/q/health/live").then().statusCode(200);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.name", hasItem("gateway data plane"))
                .body("checks.name", everyItem(not(containsString("Kafka"))))
                .body("checks.name", everyItem(not(containsString("PostgreSQL"))))
                .body(OURS + ".data.routing-table", equalTo("caught up"))
                .body(OURS + ".data.kafka", equalTo("reachable"))
                .body(OURS + ".data.postgresql", equalTo("reachable"))
                .body(OURS + ".data.degraded", equalTo(false)));
    }

    @Test
    void flywayCreatedTheGatewaySchemaWithItsTables() {
        List<String> tables = database.query("SELECT table_name FROM information_schema.tables "
                        + "WHERE table_schema = 'gateway' ORDER BY table_name")
                .execute().await().atMost(Duration.ofSeconds(10))
                .stream().map(row -> row.getString(0)).toList();
        assertTrue(tables.containsAll(List.of("api_keys", "flyway_schema_history", "usage_daily", "users")),
                tables.toString());
    }

    @Test
    void everythingElseNeedsTheClusterToken() {
        given().get("/q/metrics").then().statusCode(401);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200);
        given().auth().oauth2(TOKEN).get("/q/openapi").then().statusCode(200)
                .body(containsString("/v1/models"));
    }

    /**
     * A @QuarkusTest cannot restart the app, so rebuild-on-start is proven in RoutingTableTest (replay from offset 0)
     * and here: each process joins its own consumer group, reads from the earliest offset and commits nothing, so
     * the next start, or another replica, reads every message again.
     */
    @Test
    void everyStartReadsTheTopicsFromTheBeginningAndCommitsNothing() throws Exception {
        for (String channel : List.of("models", "instances")) {
            String prefix = "mp.messaging.incoming." + channel + ".";
            String groupId = config.getValue(prefix + "group.id", String.class);
            assertTrue(groupId.startsWith("gateway-" + channel + "-"), groupId);
            UUID.fromString(groupId.substring(("gateway-" + channel + "-").length()));
            assertEquals("earliest", config.getValue(prefix + "auto.offset.reset", String.class));
            assertEquals("false", config.getValue(prefix + "enable.auto.commit", String.class));
            assertEquals("ignore", config.getValue(prefix + "commit-strategy", String.class));
        }
        assertNotEquals(config.getValue("mp.messaging.incoming.models.group.id", String.class),
                config.getValue("mp.messaging.incoming.instances.group.id", String.class));
        assertEquals(Topics.MODELS, config.getValue("mp.messaging.incoming.models.topic", String.class));
        assertEquals(Topics.INSTANCES, config.getValue("mp.messaging.incoming.instances.topic", String.class));

        // and the broker agrees: after the gateway has consumed a message, its group has no committed offset
        String bootstrap = config.getValue("kafka.bootstrap.servers", String.class);
        String name = "commit-check-" + UUID.randomUUID();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            var event = Events.modelChanged("m-" + name, name, 1, 0);
            producer.send(new ProducerRecord<>(Topics.MODELS, event.key(),
                    dev.gpufleet.events.EventCodec.encode(event))).get();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(TOKEN).get("/v1/models/" + name)
                .statusCode() == 200);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            String groupId = config.getValue("mp.messaging.incoming.models.group.id", String.class);
            assertEquals(Map.of(), admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                    .get().entrySet().stream().filter(e -> e.getValue() != null)
                    .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        }
    }
}
