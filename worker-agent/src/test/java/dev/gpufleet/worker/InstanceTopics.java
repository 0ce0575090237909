package dev.gpufleet.worker;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Plays the scheduler in tests: publishes to gpufleet.instances and reads what the agent reports on
 * gpufleet.instance-status, with plain Kafka clients.
 */
public final class InstanceTopics implements AutoCloseable {
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final List<Envelope<InstanceObserved>> observed = new ArrayList<>();

    public InstanceTopics(String bootstrapServers) {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.INSTANCE_STATUS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    public void publish(EventPayload payload, long revision) throws Exception {
        send(payload.entityId(), EventCodec.encode(Envelope.of(payload, revision, Clock.systemUTC())));
    }

    public void tombstone(String instanceId) throws Exception {
        send(instanceId, null);
    }

    private void send(String key, String value) throws InterruptedException, ExecutionException, TimeoutException {
        producer.send(new ProducerRecord<>(Topics.INSTANCES, key, value)).get(10, TimeUnit.SECONDS);
    }

    /** Polls once more; every observation of that instance received so far, in topic order. */
    @SuppressWarnings("unchecked")
    public List<Envelope<InstanceObserved>> observationsOf(String instanceId) throws MalformedEventException {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(300))) {
            observed.add((Envelope<InstanceObserved>) (Envelope<?>) EventCodec.decode(record.value()));
        }
        return observed.stream().filter(e -> e.key().equals(instanceId)).toList();
    }

    @Override
    public void close() {
        producer.close();
        consumer.close();
    }
}
