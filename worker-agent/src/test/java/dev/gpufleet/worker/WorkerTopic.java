package dev.gpufleet.worker;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Reads gpufleet.workers from the beginning, the way the scheduler would, with a plain consumer. */
public final class WorkerTopic implements AutoCloseable {
    private final KafkaConsumer<String, String> consumer;
    private final List<Envelope<WorkerReported>> received = new ArrayList<>();

    public WorkerTopic(String bootstrapServers) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.WORKERS).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).collect(Collectors.toList());
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls once more and returns every heartbeat of that worker received so far, in topic order. */
    @SuppressWarnings("unchecked")
    public List<Envelope<WorkerReported>> heartbeatsOf(String workerId) throws MalformedEventException {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
            if (workerId.equals(record.key())) {
                Envelope<?> envelope = EventCodec.decode(record.value());
                received.add((Envelope<WorkerReported>) envelope);
            }
        }
        return List.copyOf(received);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
