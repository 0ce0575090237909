package dev.gpufleet.scheduler.testing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Producing to and reading back whole gpufleet topics with plain Kafka clients, as other services would. */
public final class Events implements AutoCloseable {
    private final String bootstrapServers;
    private final KafkaProducer<String, String> producer;

    public Events(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    public void send(String topic, Envelope<?> event) {
        sendRaw(topic, event.key(), EventCodec.encode(event));
    }

    public void send(String topic, EventPayload payload, long revision) {
        send(topic, Envelope.of(payload, revision, Clock.systemUTC()));
    }

    public void sendRaw(String topic, String key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot send to " + topic, e);
        }
    }

    /** Every record the topic holds now, in order per partition. */
    public List<ConsumerRecord<String, String>> readAll(String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /** The instance events (and tombstones) of one model on gpufleet.instances, in order. */
    public InstanceLog instanceLog(String modelId) {
        return InstanceLog.of(readAll(Topics.INSTANCES), modelId);
    }

    /**
     * The InstanceChanged and InstanceDeleted events of one model's instances in the order gpufleet.instances holds
     * them (the test broker's topics have one partition, so this is the order they were published in).
     */
    public List<Envelope<EventPayload>> instanceTimeline(String modelId) {
        List<Envelope<EventPayload>> timeline = new ArrayList<>();
        for (ConsumerRecord<String, String> r : readAll(Topics.INSTANCES)) {
            if (r.value() == null) {
                continue;
            }
            Envelope<EventPayload> e = InstanceLog.decode(r.value());
            if (e.payload() instanceof InstanceChanged c && modelId.equals(c.modelId())
                    || e.payload() instanceof InstanceDeleted d && modelId.equals(d.modelId())) {
                timeline.add(e);
            }
        }
        return timeline;
    }

    /** The worker selector of models that must stay PENDING: no test worker has this label. */
    public static final Map<String, String> NO_WORKER = Map.of("gpufleet.test/placeable", "never");

    /** A GGUF model that no worker matches, so its instances stay PENDING whatever workers other tests left. */
    public static ModelChanged modelChanged(String modelId, String name, int replicas) {
        return modelChanged(modelId, spec(name, replicas, NO_WORKER), null);
    }

    public static ModelChanged modelChanged(String modelId, ModelSpec spec, ResourceEstimate estimate) {
        return new ModelChanged(modelId, spec, ModelAnalysis.pending(), estimate, null);
    }

    /** A llama-box GGUF model with CPU offloading and restart on error (the registry's defaults). */
    public static ModelSpec spec(String name, int replicas, Map<String, String> workerSelector) {
        return new ModelSpec(name, ModelSource.localPath("/models/" + name + ".gguf"), "llama-box", null,
                List.of("--ctx-size=2048"), Map.of("HF_TOKEN", "not-a-real-secret"), replicas, List.of("llm"),
                "spread", true, false, workerSelector, List.of(), true);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }

    /** What gpufleet.instances says about one model's instances. */
    public record InstanceLog(List<Envelope<InstanceChanged>> changed, List<Envelope<InstanceDeleted>> deleted,
                              List<String> tombstones) {

        static InstanceLog of(List<ConsumerRecord<String, String>> records, String modelId) {
            List<Envelope<InstanceChanged>> changed = new ArrayList<>();
            List<Envelope<InstanceDeleted>> deleted = new ArrayList<>();
            List<String> tombstones = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (ConsumerRecord<String, String> r : records) {
                if (r.value() == null) {
                    if (ids.contains(r.key())) {
                        tombstones.add(r.key());
                    }
                    continue;
                }
                Envelope<EventPayload> e = decode(r.value());
                if (e.payload() instanceof InstanceChanged c && modelId.equals(c.modelId())) {
                    ids.add(c.instanceId());
                    changed.add(cast(e));
                } else if (e.payload() instanceof InstanceDeleted d && modelId.equals(d.modelId())) {
                    ids.add(d.instanceId());
                    deleted.add(cast(e));
                }
            }
            return new InstanceLog(changed, deleted, tombstones);
        }

        public Set<String> createdIds() {
            Set<String> ids = new HashSet<>();
            changed.forEach(e -> ids.add(e.payload().instanceId()));
            return ids;
        }

        public Set<String> deletedIds() {
            Set<String> ids = new HashSet<>();
            deleted.forEach(e -> ids.add(e.payload().instanceId()));
            return ids;
        }

        public Set<String> liveIds() {
            Set<String> ids = createdIds();
            ids.removeAll(deletedIds());
            return ids;
        }

        @SuppressWarnings("unchecked")
        private static <P extends EventPayload> Envelope<P> cast(Envelope<EventPayload> e) {
            return (Envelope<P>) (Envelope<?>) e;
        }

        private static Envelope<EventPayload> decode(String value) {
            try {
                return EventCodec.decode(value);
            } catch (MalformedEventException e) {
                throw new UncheckedIOException(new java.io.IOException("bad event on gpufleet.instances: " + value, e));
            }
        }
    }
}
