package dev.gpufleet.kit.outbox;

import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.kafka.KafkaClients;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay against a real PostgreSQL and a real broker that goes away and comes back. */
class OutboxRelayTest {
    private static EmbeddedKafka kafka;
    private static EmbeddedPostgresServer postgres;
    private static PGSimpleDataSource dataSource;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
        postgres = EmbeddedPostgresServer.start(null, 0);
        postgres.ensureDatabase("kit", "kit", "kit-password");
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl("kit"));
        dataSource.setUser("kit");
        dataSource.setPassword("kit-password");
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text NOT NULL, msg_key text NOT NULL,"
                    + " payload text, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)");
        }
    }

    @AfterAll
    static void stop() {
        kafka.close();
        postgres.close();
    }

    @Test
    void publishesInOrderMarksSentAndSurvivesABrokerOutage() throws Exception {
        String key = UUID.randomUUID().toString();
        try (Producer<String, String> producer = KafkaClients.stringProducer(kafka.bootstrapServers(), "test");
             OutboxRelay relay = new OutboxRelay(dataSource, "outbox", producer, Duration.ofMillis(100), 50)) {
            insert(key, "v1");
            insert(key, "v2");
            insert(key, null); // tombstone
            assertEquals(3, relay.relayOnce());
            assertEquals(0, relay.relayOnce());
            assertEquals(0, relay.backlog());

            kafka.stop();
            insert(key, "v3");
            assertThrows(Exception.class, relay::relayOnce);
            assertEquals(1, relay.backlog(), "an unacknowledged row stays queued");

            relay.start(); // keeps retrying with backoff while the broker is away
            Thread.sleep(1_000);
            assertEquals(1, relay.backlog(), "nothing is marked sent while the broker is away");
            kafka.start();
            insert(key, "v4");
            relay.wakeUp();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (relay.backlog() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(0, relay.backlog());
        }
        List<String> values = consume(key, 5);
        // at-least-once: a retried batch may repeat, but order per key holds and nothing is missing
        assertEquals(List.of("v1", "v2", "<tombstone>", "v3", "v4"), values.stream().distinct().toList());
        assertTrue(values.indexOf("v3") < values.lastIndexOf("v4"));
    }

    private static void insert(String key, String payload) throws Exception {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (topic, msg_key, payload) VALUES (?,?,?)")) {
            ps.setString(1, Topics.INSTANCE_STATUS);
            ps.setString(2, key);
            ps.setString(3, payload);
            ps.executeUpdate();
        }
    }

    private static List<String> consume(String key, int atLeast) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "relay-test-" + key,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(Topics.INSTANCE_STATUS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (key.equals(r.key())) {
                        values.add(r.value() == null ? "<tombstone>" : r.value());
                    }
                }
            }
        }
        return values;
    }
}
