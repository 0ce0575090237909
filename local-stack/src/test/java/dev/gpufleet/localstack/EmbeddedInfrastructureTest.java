package dev.gpufleet.localstack;

import dev.gpufleet.events.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddedInfrastructureTest {

    @Test
    void kafkaKeepsItsDataAcrossARestartOnTheSamePort(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir, FreePorts.pick(), FreePorts.pick(), false).start()) {
            kafka.createTopics(1);
            assertEquals("compact", cleanupPolicy(kafka.bootstrapServers(), Topics.MODELS));
            assertEquals("delete", cleanupPolicy(kafka.bootstrapServers(), Topics.INSTANCE_STATUS));
            produce(kafka.bootstrapServers(), "before");

            kafka.stop();
            kafka.start();
            produce(kafka.bootstrapServers(), "after");

            assertEquals(List.of("before", "after"), consumeAll(kafka.bootstrapServers(), 2));
        }
    }

    @Test
    void postgresKeepsItsDataInItsDirectoryAcrossRestarts(@TempDir Path dir) throws Exception {
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir, 0)) {
            pg.ensureDatabase("app", "app", "s3cret");
            pg.ensureDatabase("app", "app", "s3cret"); // idempotent
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl("app"), "app", "s3cret");
                 Statement s = c.createStatement()) {
                s.execute("CREATE TABLE kept (v text)");
                s.execute("INSERT INTO kept VALUES ('still here')");
            }
        }
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir, 0);
             Connection c = DriverManager.getConnection(pg.jdbcUrl("app"), "app", "s3cret");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM kept")) {
            assertTrue(rs.next());
            assertEquals("still here", rs.getString(1));
        }
    }

    private static String cleanupPolicy(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(Set.of(r)).all().get().get(r);
            return config.get("cleanup.policy").value();
        }
    }

    private static void produce(String bootstrap, String value) throws Exception {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            p.send(new ProducerRecord<>(Topics.INSTANCE_STATUS, "k", value)).get();
        }
    }

    private static List<String> consumeAll(String bootstrap, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            c.subscribe(List.of(Topics.INSTANCE_STATUS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
