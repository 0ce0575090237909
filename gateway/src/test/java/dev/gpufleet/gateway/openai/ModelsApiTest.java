package dev.gpufleet.gateway.openai;

import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
class ModelsApiTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private KafkaProducer<String, String> producer;

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    @AfterEach
    void disconnect() {
        producer.close();
    }

    private void publish(String topic, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private void publish(Envelope<EventPayload> event) throws Exception {
        publish(Topics.MODELS, event.key(), EventCodec.encode(event));
    }

    private static List<String> listedNames() {
        return given().auth().oauth2(ADMIN_API_KEY).get("/v1/models").then().statusCode(200)
                .extract().jsonPath().getList("data.id");
    }

    @Test
    void registeredModelsAreListedInOpenAiShapeSortedByName() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String zephyr = "zephyr-" + suffix;
        String llama = "llama-" + suffix;
        publish(Events.modelChanged("m-z-" + suffix, zephyr, 1, 0));
        publish(Events.modelChanged("m-l-" + suffix, llama, 1, 60));

        await().atMost(Duration.ofSeconds(20)).until(() -> listedNames().containsAll(List.of(llama, zephyr)));

        List<String> names = listedNames();
        assertTrue(names.indexOf(llama) < names.indexOf(zephyr), names.toString());
        assertEquals(names.stream().sorted().toList(), names);
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models").then()
                .body("object", equalTo("list"))
                .body("data.find { it.id == '" + llama + "' }.object", equalTo("model"))
                .body("data.find { it.id == '" + llama + "' }.owned_by", equalTo("gpufleet"))
                .body("data.find { it.id == '" + llama + "' }.created",
                        equalTo((int) Events.T0.plusSeconds(60).getEpochSecond()));
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models/" + zephyr).then().statusCode(200)
                .body("id", equalTo(zephyr))
                .body("object", equalTo("model"))
                .body("created", equalTo((int) Events.T0.getEpochSecond()))
                .body("owned_by", equalTo("gpufleet"));
    }

    @Test
    void aDeletedModelIsGoneAndThenUnknown() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String name = "Qwen/Qwen2.5-0.5B-" + suffix;
        String id = "m-" + suffix;
        publish(Events.modelChanged(id, name, 1, 0));
        await().atMost(Duration.ofSeconds(20)).until(() -> listedNames().contains(name));
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models/" + name).then().statusCode(200).body("id", equalTo(name));

        publish(Events.modelDeleted(id, name, 2, 5));
        publish(Topics.MODELS, id, null); // the tombstone the registry sends after a deletion
        publish(Events.modelChanged(id, name, 1, 0)); // a late redelivery of the old change

        await().atMost(Duration.ofSeconds(20)).until(() -> !listedNames().contains(name));
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models/" + name).then().statusCode(404)
                .body("error.message", equalTo("The model '" + name + "' does not exist"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("model"))
                .body("error.code", equalTo("model_not_found"));
        // the stale change came after the deletion and must not have resurrected it
        String marker = "marker-" + suffix;
        publish(Events.modelChanged("m-marker-" + suffix, marker, 1, 0));
        await().atMost(Duration.ofSeconds(20)).until(() -> listedNames().contains(marker));
        assertTrue(!listedNames().contains(name));
    }

    @Test
    void aGarbageMessageIsDeadLetteredAndTheFeedGoesOn() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String garbageKey = "garbage-" + suffix;
        Instant before = Instant.now();
        publish(Topics.MODELS, garbageKey, "{this is not an event " + suffix);
        String good = "after-garbage-" + suffix;
        publish(Events.modelChanged("m-" + suffix, good, 1, 0));

        await().atMost(Duration.ofSeconds(20)).until(() -> listedNames().contains(good));

        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.DEAD_LETTER).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<DeadLetter> letters = new ArrayList<>();
            DeadLetter letter = await().atMost(Duration.ofSeconds(20)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    letters.add(EventCodec.decodeDeadLetter(record.value()));
                }
                return letters.stream().filter(l -> garbageKey.equals(l.key())).findFirst().orElse(null);
            }, found -> found != null);

            assertEquals(Topics.MODELS, letter.topic());
            assertEquals("{this is not an event " + suffix, letter.value());
            assertEquals("gateway", letter.consumer());
            assertTrue(letter.error().startsWith("not JSON"), letter.error());
            assertTrue(!letter.failedAt().isBefore(before.minusSeconds(5)));
        }
    }

    @Test
    void v1NeedsAKey() {
        given().get("/v1/models").then().statusCode(401)
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.type", equalTo("invalid_request_error"));
        given().auth().oauth2("wrong-token-0123456789").get("/v1/models/anything").then().statusCode(401);
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models").then().statusCode(200);
    }

    @Test
    void anUnknownModelIs404InOpenAiShape() {
        given().auth().oauth2(ADMIN_API_KEY).get("/v1/models/no-such-model").then().statusCode(404)
                .body("error.message", equalTo("The model 'no-such-model' does not exist"))
                .body("error.code", equalTo("model_not_found"))
                .body("data", not(hasItem("no-such-model")));
    }
}
