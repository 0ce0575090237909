package dev.gpufleet.registry.models;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** Reads {@code gpufleet.models} from the beginning with a plain consumer, as any other service would. */
final class ModelsTopic implements AutoCloseable {
    /** One record: the key and the decoded event, or a null event for a tombstone. */
    record Message(String key, Envelope<EventPayload> event) {
        boolean isTombstone() {
            return event == null;
        }

        String describe() {
            return isTombstone() ? "tombstone" : event.type() + "@" + event.revision();
        }
    }

    private final KafkaConsumer<String, String> consumer;
    private final List<Message> messages = new ArrayList<>();

    ModelsTopic() {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.MODELS, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls until the messages read so far, restricted to {@code keys}, satisfy {@code done}; fails after 60 s. */
    List<Message> awaitFor(Set<String> keys, Predicate<List<Message>> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<Message> mine = messages.stream().filter(m -> keys.contains(m.key())).toList();
            if (done.test(mine)) {
                return mine;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting on " + Topics.MODELS + "; read for " + keys + ": "
                        + mine.stream().map(Message::describe).toList());
            }
            pollOnce(Duration.ofMillis(200));
        }
    }

    /** Reads whatever arrives within {@code quiet}, to catch messages that should not be there. */
    List<Message> drain(Set<String> keys, Duration quiet) {
        long deadline = System.nanoTime() + quiet.toNanos();
        while (System.nanoTime() < deadline) {
            pollOnce(Duration.ofMillis(100));
        }
        return messages.stream().filter(m -> keys.contains(m.key())).toList();
    }

    List<Message> all() {
        return List.copyOf(messages);
    }

    private void pollOnce(Duration timeout) {
        for (ConsumerRecord<String, String> r : consumer.poll(timeout)) {
            try {
                messages.add(new Message(r.key(), r.value() == null ? null : EventCodec.decode(r.value())));
            } catch (MalformedEventException e) {
                throw new AssertionError("the registry published a malformed event at offset " + r.offset()
                        + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
