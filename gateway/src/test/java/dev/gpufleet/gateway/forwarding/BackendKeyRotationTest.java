package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.kit.auth.InstanceApiKeys;
import dev.gpufleet.localstack.testing.TestClusterToken;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gateway during a rotation of the backend-key secret, against real HTTP backends that accept one key each: a
 * backend started before the rotation (the previous secret's key) is answered on the first request, by one retry with
 * that key after its 401, and from then on gets that key first; one restarted with the new key is found the same
 * way; one that takes neither key is refused after two tries, its 401 passed on.
 */
@QuarkusTest
@TestProfile(RotatingBackendKeySecret.class)
@WithTestKafkaAndPostgres
class BackendKeyRotationTest {
    private static final String CHAT = "/v1/chat/completions";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    RoutingTable table;

    private KafkaProducer<String, String> producer;
    private FakeLlamaServer backend;

    @BeforeEach
    void connect() throws Exception {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        backend = new FakeLlamaServer("rotating", 2, Duration.ZERO);
    }

    @AfterEach
    void disconnect() {
        producer.close();
        backend.close();
    }

    private String runningModel(String modelId, String instanceId, String endpoint) throws Exception {
        String name = "org/model-" + modelId;
        publish(Events.modelChanged(modelId, name, 1, 0), Topics.MODELS);
        publish(Events.instanceChanged(instanceId, modelId, InstanceState.RUNNING, endpoint, 1), Topics.INSTANCES);
        await().atMost(Duration.ofSeconds(20)).until(() -> table.routableInstances(name).size() == 1);
        return name;
    }

    private void publish(Envelope<EventPayload> event, String topic) throws Exception {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event))).get();
    }

    private static Response chat(String model) {
        return given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .post(CHAT);
    }

    private List<String> keysReceived() {
        return backend.received.stream().map(r -> r.headers().get("authorization")).toList();
    }

    @Test
    void aBackendWithThePreviousSecretsKeyIsFoundByOneRetryAndThenCalledWithItFirst() throws Exception {
        String modelId = "rot-" + UUID.randomUUID().toString().substring(0, 8);
        String instanceId = modelId + "-i0";
        String oldKey = "Bearer " + InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, instanceId);
        String newKey = "Bearer " + InstanceApiKeys.forInstance(RotatingBackendKeySecret.NEW_SECRET, instanceId);
        backend.requiredKey = oldKey.substring("Bearer ".length());
        String model = runningModel(modelId, instanceId, backend.endpoint());

        chat(model).then().statusCode(200).body("choices[0].message.content", equalTo(backend.streamedText()));
        assertEquals(List.of(newKey, oldKey), keysReceived(), "the new key, refused, then the previous one");
        assertEquals(backend.received.get(0).body(), backend.received.get(1).body(), "the same request again");

        chat(model).then().statusCode(200);
        assertEquals(List.of(newKey, oldKey, oldKey), keysReceived(), "remembered: the previous key first");

        // the instance restarts with the new secret's key
        backend.requiredKey = newKey.substring("Bearer ".length());
        chat(model).then().statusCode(200);
        chat(model).then().statusCode(200);
        assertEquals(List.of(newKey, oldKey, oldKey, oldKey, newKey, newKey), keysReceived());

        // a backend that takes neither: two tries, then its own 401 for the client
        backend.requiredKey = "gpf-neither";
        chat(model).then().statusCode(401).body("error.message", equalTo("Invalid API Key"));
        assertEquals(8, backend.received.size(), keysReceived().toString());
    }
}
