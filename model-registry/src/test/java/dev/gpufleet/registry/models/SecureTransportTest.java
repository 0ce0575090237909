package dev.gpufleet.registry.models;

import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.SecureTransportTestResource;
import dev.gpufleet.localstack.testing.WithSecureTransport;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.registry.models.ModelsApiTest.create;
import static dev.gpufleet.registry.models.ModelsApiTest.unique;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The registry on Kafka over SASL_SSL (SCRAM-SHA-512, the broker's certificate checked against the authority's PEM)
 * and PostgreSQL over TLS with {@code verify-full}: the settings the Helm chart's production values give every
 * service. It is ready, stores a model, and its event is on the topic for a consumer that logs in the same way.
 */
@QuarkusTest
@WithSecureTransport
class SecureTransportTest {

    @Test
    void aModelIsStoredOverTlsAndPublishedOverSaslSsl() throws Exception {
        given().get("/q/health/ready").then().statusCode(200);
        String id = create(unique("tls"));

        SecureTransportTestResource.Infrastructure infra = SecureTransportTestResource.infrastructure();
        Map<String, Object> config = new HashMap<>(infra.kafkaClientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "tls-test-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        boolean seen = false;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topics.MODELS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!seen && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    seen |= id.equals(r.key());
                }
            }
        }
        assertTrue(seen, "the model's event reached " + Topics.MODELS + " through the SASL_SSL listener");

        String url = infra.postgres().jdbcUrl(SecureTransportTestResource.DATABASE)
                + "?sslmode=verify-full&sslrootcert=" + infra.certificates().caPem();
        try (Connection c = DriverManager.getConnection(url, SecureTransportTestResource.USER, infra.databasePassword());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)"
                     + " FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                     + " WHERE a.usename = current_user AND a.pid <> pg_backend_pid()")) {
            assertTrue(rs.next());
            assertTrue(rs.getLong(1) > 0, "the registry holds connections over TLS");
            assertEquals(0, rs.getLong(2), "and none in plain text");
        }
    }
}
