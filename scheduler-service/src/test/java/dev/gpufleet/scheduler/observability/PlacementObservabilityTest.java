package dev.gpufleet.scheduler.observability;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.tracing.TraceParent;
import dev.gpufleet.localstack.testing.OtlpReceiver;
import dev.gpufleet.localstack.testing.OtlpReceiver.ReceivedSpan;
import dev.gpufleet.localstack.testing.OtlpTestResource;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator sees of one placement. With tracing on, a model change that arrives under a trace (the
 * registry's relay puts the traceparent of the request that made it in the record's headers) is applied in a span
 * of that trace, and the placement it leads to goes out on gpufleet.instances under the same trace, for the agent to
 * continue. With JSON logs on, the lines logged while applying an agent's traced observation are JSON objects
 * naming the trace, the span and the instance.
 * On the metrics port: the placement's timers, and the GPU's memory total, claimed and used by others.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(OtlpTestResource.class)
@WithTestResource(JsonLogFileResource.class)
class PlacementObservabilityTest {
    static final long GIB = 1L << 30;
    static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    /** Set by this class's test resource only, so read when the test runs: each app start checks every injection. */
    private static String otlp() {
        return ConfigProvider.getConfig().getValue("test.otlp-endpoint", String.class);
    }
    private static String jsonLog() {
        return ConfigProvider.getConfig().getValue("test.json-log", String.class);
    }
    @Inject
    AdjustableClock clock;

    @Test
    void aTracedModelChangeIsPlacedInTheSameTrace() throws Exception {
        String traceId = UUID.randomUUID().toString().replace("-", "");
        String parentSpanId = traceId.substring(0, 16);
        String modelId = UUID.randomUUID().toString();
        try (InstanceFlow flow = new InstanceFlow(bootstrapServers, clock, Duration.ofSeconds(30));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            String pool = UUID.randomUUID().toString();
            String workerId = UUID.randomUUID().toString();
            String workerName = "traced-" + workerId.substring(0, 6);
            WorkerReported cpu = Heartbeats.cpuWorker(workerId, workerName, "10.1.2.9", Map.of("pool", pool),
                    64 * GIB, 2 * GIB);
            // one GPU of 24 GiB, 6 GiB of it held by some other program
            flow.worker(new WorkerReported(cpu.workerId(), cpu.name(), cpu.address(), cpu.agentPort(), cpu.os(),
                    cpu.arch(), cpu.labels(), cpu.cpuCores(), cpu.cpuUtilizationPercent(), cpu.memoryTotalBytes(),
                    cpu.memoryUsedBytes(), List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA GeForce RTX 4090",
                    "GPU-0", 24 * GIB, 6 * GIB, 0)), cpu.state(), cpu.stateMessage(), cpu.instances(),
                    cpu.heartbeatIntervalSeconds()));
            ModelSpec spec = Events.spec("traced-" + modelId.substring(0, 6), 1, Map.of("pool", pool));
            Envelope<?> event = Envelope.of(Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1,
                    Clock.systemUTC());
            ProducerRecord<String, String> record = new ProducerRecord<>(Topics.MODELS, event.key(),
                    EventCodec.encode(event));
            record.headers().add(TraceParent.HEADER,
                    ("00-" + traceId + "-" + parentSpanId + "-01").getBytes(StandardCharsets.ISO_8859_1));
            producer.send(record).get();

            InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
            long claimed = placed.claim().vramBytesByGpu().getOrDefault(0, 0L);
            assertTrue(claimed > 0, "placed on the GPU: " + placed.claim());

            // the operators' view of the GPU: its total, and what is in use there beyond the placement's claim
            String gpu = "{index=\"0\",worker=\"" + workerName + "\"}";
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics().contains(
                    "gpufleet_scheduler_gpu_memory_claimed_bytes" + gpu + " " + (double) claimed));
            String scraped = metrics();
            assertTrue(scraped.contains("gpufleet_scheduler_gpu_memory_total_bytes" + gpu + " " + (double) (24 * GIB)),
                    scraped);
            assertTrue(scraped.contains("gpufleet_scheduler_gpu_memory_used_by_others_bytes" + gpu + " "
                    + (double) Math.max(0, 6 * GIB - claimed)), scraped);
            assertTrue(scraped.contains("gpufleet_placement_duration_seconds_count{outcome=\"placed\"}"), scraped);
            assertTrue(scraped.contains("gpufleet_placement_wait_seconds_bucket{le="), scraped);
            // each consumer's lag, by channel, topic and group
            await().atMost(Duration.ofSeconds(30)).until(() -> metrics().lines().anyMatch(l -> l.matches(
                    "gpufleet_kafka_consumer_lag\\{channel=\"models\",group=\"scheduler-service\","
                            + "topic=\"gpufleet.models\"} [0-9]+\\.0")));

            ReceivedSpan applied = await().atMost(Duration.ofSeconds(20)).until(() -> OtlpReceiver.spans(otlp())
                    .stream().filter(s -> s.traceId().equals(traceId) && s.parentSpanId().equals(parentSpanId)
                            && s.kind() == ReceivedSpan.CONSUMER)
                    .findFirst(), Optional::isPresent).get();
            assertEquals("scheduler-service", applied.service());
            assertEquals(ReceivedSpan.CONSUMER, applied.kind());
            assertEquals("Applying ModelChanged of model " + modelId, applied.name());
            assertEquals(Topics.MODELS, applied.attributes().get("messaging.destination.name"));

            ConsumerRecord<String, String> out = flow.events().readAll(Topics.INSTANCES).stream()
                    .filter(r -> placed.instanceId().equals(r.key())).findFirst().orElseThrow();
            String carried = TraceParent.fromHeaders(out.headers());
            assertTrue(carried != null && carried.startsWith("00-" + traceId + "-"),
                    "the placement goes out under the model change's trace: " + carried);

            // the agent reports the start under a trace of its own: the scheduler's log lines of applying it
            String agentTrace = UUID.randomUUID().toString().replace("-", "");
            Envelope<?> observed = Envelope.of(new InstanceObserved(placed.instanceId(), workerId,
                    InstanceState.STARTING, null, 40001, 4242L, "loading", 0), 1, clock);
            ProducerRecord<String, String> observation = new ProducerRecord<>(Topics.INSTANCE_STATUS,
                    observed.key(), EventCodec.encode(observed));
            observation.headers().add(TraceParent.HEADER, ("00-" + agentTrace + "-" + agentTrace.substring(0, 16)
                    + "-01").getBytes(StandardCharsets.ISO_8859_1));
            producer.send(observation).get();
            JsonNode line = await().atMost(Duration.ofSeconds(30)).until(() -> jsonLines().stream()
                    .filter(l -> placed.instanceId().equals(l.path("mdc").path("instanceId").asText())
                            && l.path("message").asText().contains("is STARTING"))
                    .findFirst(), Optional::isPresent).get();
            assertEquals(agentTrace, line.path("mdc").path("traceId").asText(), line.toString());
            assertTrue(line.path("mdc").path("spanId").asText().matches("[0-9a-f]{16}"), line.toString());
            assertEquals("INFO", line.path("level").asText());
        }
    }

    private static String metrics() {
        return given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN).get("/q/metrics").then()
                .statusCode(200).extract().asString();
    }

    /** Every line of the JSON log so far, each parsed: a line that is not a JSON object fails the test. */
    private List<JsonNode> jsonLines() throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(jsonLog()))) {
            if (!line.isBlank()) {
                JsonNode node = JSON.readTree(line);
                assertTrue(node.isObject(), line);
                lines.add(node);
            }
        }
        return lines;
    }
}
