package dev.gpufleet.registry.models;

import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.tracing.TraceParent;
import dev.gpufleet.localstack.testing.OtlpReceiver;
import dev.gpufleet.localstack.testing.OtlpReceiver.ReceivedSpan;
import dev.gpufleet.localstack.testing.OtlpTestResource;
import dev.gpufleet.localstack.testing.TestKafka;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With tracing on, a model made by a traced request goes out on gpufleet.models under that request's trace: the
 * request's server span is exported, and the record's traceparent names it (through the outbox row), so the
 * scheduler continues the same trace.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(OtlpTestResource.class)
class ModelTraceTest {
    /** Set by this class's test resource only, so read when the test runs: each app start checks every injection. */
    private static String otlp() {
        return ConfigProvider.getConfig().getValue("test.otlp-endpoint", String.class);
    }

    @Test
    void aModelMadeUnderATraceIsPublishedUnderIt() {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String callerSpanId = traceId.substring(16);
        String id = ModelsApiTest.api().header(TraceParent.HEADER, "00-" + traceId + "-" + callerSpanId + "-01")
                .body(ModelsApiTest.ggufModel(ModelsApiTest.unique("traced"))).post(ModelsApiTest.MODELS)
                .then().statusCode(201).extract().path("id");

        ReceivedSpan server = await().atMost(Duration.ofSeconds(20)).until(() -> OtlpReceiver.spans(otlp()).stream()
                .filter(s -> s.traceId().equals(traceId) && s.parentSpanId().equals(callerSpanId)).findFirst(),
                Optional::isPresent).get();
        assertEquals(ReceivedSpan.SERVER, server.kind());
        assertEquals("model-registry", server.service());

        String carried = firstHeaderOf(id);
        assertNotNull(carried, "the ModelChanged record carries a traceparent");
        assertTrue(carried.startsWith("00-" + traceId + "-"), carried);
        String writerSpanId = carried.substring(36, 52);
        List<ReceivedSpan> trace = await().atMost(Duration.ofSeconds(20)).until(() -> OtlpReceiver.spans(otlp())
                .stream().filter(s -> s.traceId().equals(traceId)).toList(),
                spans -> spans.stream().anyMatch(s -> s.spanId().equals(writerSpanId)));
        assertTrue(trace.stream().anyMatch(s -> s.spanId().equals(writerSpanId)),
                "the span the record names is one of the request's trace: " + trace);
    }

    private static String firstHeaderOf(String key) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.MODELS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        return TraceParent.fromHeaders(r.headers());
                    }
                }
            }
            throw new AssertionError("no record of model " + key + " on " + Topics.MODELS);
        }
    }
}
