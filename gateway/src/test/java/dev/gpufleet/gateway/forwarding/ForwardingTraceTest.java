package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.localstack.testing.OtlpReceiver;
import dev.gpufleet.localstack.testing.OtlpReceiver.ReceivedSpan;
import dev.gpufleet.localstack.testing.OtlpTestResource;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With tracing on, a chat request is one trace exported by OTLP to a real receiver: the gateway's server span, the
 * route to an instance and the call to the backend as its children, and the backend gets the call's traceparent.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(OtlpTestResource.class)
class ForwardingTraceTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    /** Set by this class's test resource only, so read when the test runs: each app start checks every injection. */
    private static String otlp() {
        return ConfigProvider.getConfig().getValue("test.otlp-endpoint", String.class);
    }

    @Inject
    RoutingTable table;

    @Test
    void aChatRequestIsOneTraceFromTheGatewayToTheBackend() throws Exception {
        String modelId = "traced-" + UUID.randomUUID().toString().substring(0, 8);
        String model = "org/model-" + modelId;
        try (FakeLlamaServer backend = new FakeLlamaServer("traced", 2, Duration.ZERO);
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            var modelEvent = Events.modelChanged(modelId, model, 1, 0);
            producer.send(new ProducerRecord<>(Topics.MODELS, modelEvent.key(), EventCodec.encode(modelEvent))).get();
            var instanceEvent = Events.instanceChanged(modelId + "-i0", modelId, InstanceState.RUNNING,
                    backend.endpoint(), 1);
            producer.send(new ProducerRecord<>(Topics.INSTANCES, instanceEvent.key(),
                    EventCodec.encode(instanceEvent))).get();
            await().atMost(Duration.ofSeconds(20)).until(() -> table.routableInstances(model).size() == 1);

            given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                    .body("{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                    .post("/v1/chat/completions").then().statusCode(200);

            String sent = backend.received.get(0).headers().get("traceparent");
            assertTrue(sent != null && sent.matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"),
                    "the backend got the call's traceparent: " + backend.received.get(0).headers());
            String traceId = sent.substring(3, 35);
            String callSpanId = sent.substring(36, 52);

            ReceivedSpan call = await().atMost(Duration.ofSeconds(20)).until(
                    () -> find(traceId, s -> s.spanId().equals(callSpanId)), Optional::isPresent).get();
            assertEquals(ReceivedSpan.CLIENT, call.kind());
            assertEquals("POST /v1/chat/completions", call.name());
            assertEquals(model, call.attributes().get("gpufleet.model"));
            assertEquals(modelId + "-i0", call.attributes().get("gpufleet.instance_id"));
            assertEquals("200", call.attributes().get("http.response.status_code"));
            assertEquals("gateway", call.service());

            ReceivedSpan server = await().atMost(Duration.ofSeconds(20)).until(
                    () -> find(traceId, s -> s.spanId().equals(call.parentSpanId())), Optional::isPresent).get();
            assertEquals(ReceivedSpan.SERVER, server.kind(), "the call's parent is the client request's span");
            assertTrue(server.name().startsWith("POST"), server.name());

            ReceivedSpan route = await().atMost(Duration.ofSeconds(20)).until(
                    () -> find(traceId, s -> s.name().equals("route " + model)), Optional::isPresent).get();
            assertEquals(server.spanId(), route.parentSpanId());
            assertEquals("admitted", route.attributes().get("gpufleet.outcome"));
        }
    }

    private Optional<ReceivedSpan> find(String traceId, java.util.function.Predicate<ReceivedSpan> which) {
        List<ReceivedSpan> spans = OtlpReceiver.spans(otlp());
        return spans.stream().filter(s -> s.traceId().equals(traceId)).filter(which).findFirst();
    }
}
