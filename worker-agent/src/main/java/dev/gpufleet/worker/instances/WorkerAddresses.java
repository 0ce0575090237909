package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.kit.kafka.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The address another worker reports in its heartbeat, which a subordinate worker needs to reach the Ray head on the
 * main worker of a vLLM instance (InstanceChanged carries only the subordinates' addresses).
 *
 * <p>The agent does not follow {@code gpufleet.workers}: that would decode every worker's heartbeat all the time
 * for a lookup needed only when a Ray worker starts. Instead each lookup reads the topic's recent tail with a
 * short-lived consumer: every live worker beats at least once per {@code window} (three heartbeat intervals, after
 * which the scheduler counts it unreachable), so the tail holds the main worker's latest address. Blocking (up to
 * about {@code timeout}): call it off the step threads.
 */
public final class WorkerAddresses implements Function<String, Optional<String>> {
    private static final Logger LOG = Logger.getLogger(WorkerAddresses.class);

    private final Map<String, Object> consumerConfig;
    private final Duration window;
    private final Duration timeout;
    private final Clock clock;

    public WorkerAddresses(String bootstrapServers, Map<String, ?> kafkaConfig, String clientId, Duration window,
                           Duration timeout, Clock clock) {
        Map<String, Object> config = new HashMap<>(KafkaClients.securitySettings(kafkaConfig));
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        this.consumerConfig = Map.copyOf(config);
        this.window = window;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** @return empty when the worker reported no address within the window, or the broker did not answer */
    @Override
    public Optional<String> apply(String workerId) {
        Instant deadline = clock.instant().plus(timeout);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.WORKERS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            long since = clock.millis() - window.toMillis();
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(p -> times.put(p, since));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(times);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition partition : partitions) {
                OffsetAndTimestamp start = starts.get(partition);
                consumer.seek(partition, start != null ? start.offset() : ends.get(partition));
            }
            String address = null;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (!clock.instant().isBefore(deadline)) {
                    LOG.warnf("Reading the recent heartbeats of %s for worker %s's address took over %s; using what "
                            + "was read", Topics.WORKERS, workerId, timeout);
                    break;
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (workerId.equals(record.key())) {
                        address = addressIn(record.value()).orElse(address);
                    }
                }
            }
            return Optional.ofNullable(address);
        } catch (KafkaException | IllegalStateException e) {
            LOG.warnf("Cannot read the address of worker %s from %s: %s", workerId, Topics.WORKERS, e.toString());
            return Optional.empty();
        }
    }

    /** The address a heartbeat's JSON reports; empty for anything else, a tombstone or a broken message. */
    static Optional<String> addressIn(String json) {
        if (json == null) {
            return Optional.empty();
        }
        try {
            Envelope<?> envelope = EventCodec.decode(json);
            return envelope.payload() instanceof WorkerReported reported && reported.address() != null
                    && !reported.address().isBlank() ? Optional.of(reported.address()) : Optional.empty();
        } catch (MalformedEventException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
