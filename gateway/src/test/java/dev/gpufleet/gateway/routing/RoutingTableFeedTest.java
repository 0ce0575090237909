package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
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

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The routing table fed from the real broker: the order of records on a compacted topic, as the gateway reads it. */
@QuarkusTest
@WithTestKafkaAndPostgres
class RoutingTableFeedTest {
    static final Duration PATIENCE = Duration.ofSeconds(20);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    RoutingTable table;

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

    private void publish(String topic, String key, Envelope<EventPayload> event) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, event == null ? null : EventCodec.encode(event))).get();
    }

    private List<String> routed(String model) {
        return table.routableInstances(model).stream().map(InstanceChanged::instanceId).toList();
    }

    @Test
    void aLateOlderChangeAfterTheTombstoneDoesNotRouteToTheDeletedInstanceAgain() throws Exception {
        String modelId = "late-" + UUID.randomUUID();
        String model = "org/model-" + modelId;
        String deleted = modelId + "-i0";
        String later = modelId + "-i1";
        publish(Topics.MODELS, modelId, Events.modelChanged(modelId, model, 1, 0));
        publish(Topics.INSTANCES, deleted, Events.instanceChanged(deleted, modelId, InstanceState.RUNNING,
                "http://10.0.0.1:40001", 1));
        await().atMost(PATIENCE).until(() -> routed(model), r -> r.equals(List.of(deleted)));

        publish(Topics.INSTANCES, deleted, Events.instanceDeleted(deleted, modelId, 2));
        publish(Topics.INSTANCES, deleted, null);
        // a relay hand-over publishes the older change again, after the tombstone
        publish(Topics.INSTANCES, deleted, Events.instanceChanged(deleted, modelId, InstanceState.RUNNING,
                "http://10.0.0.1:40001", 1));
        // then another instance on the same (single) partition: once it routes, the late change was read
        publish(Topics.INSTANCES, later, Events.instanceChanged(later, modelId, InstanceState.RUNNING,
                "http://10.0.0.2:40001", 1));
        await().atMost(PATIENCE).until(() -> routed(model).contains(later));

        assertEquals(List.of(later), routed(model), "the deleted instance stays deleted");
        assertEquals(2, table.snapshot().instances().get(deleted).revision(), "its marker keeps the deletion");
    }
}
