package dev.gpufleet.kit.kafka;

import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.Optional;

/**
 * Decodes what a consumer receives. A message that is not a valid event is logged with its topic, partition and
 * offset (never its content: payloads may carry tokens), published to {@link Topics#DEAD_LETTER} and skipped,
 * so one bad message never stops a consumer. The dead letter carries the message with every {@code env} value
 * redacted ({@link DeadLetterRedaction}): the users' backend environments hold hub tokens and keys.
 */
@ApplicationScoped
public class DeadLetterPublisher {
    private static final Logger LOG = Logger.getLogger(DeadLetterPublisher.class);

    private final Producer<String, String> producer;
    private final String consumerName;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();

    public DeadLetterPublisher(Producer<String, String> producer,
                               @ConfigProperty(name = "quarkus.application.name") String consumerName,
                               MeterRegistry meters) {
        this.producer = producer;
        this.consumerName = consumerName;
        this.meters = meters;
    }

    /**
     * @return the event, or empty for a tombstone (compaction marker, nothing to apply) or a dead-lettered message
     */
    public Optional<Envelope<EventPayload>> decode(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(EventCodec.decode(record.value()));
        } catch (MalformedEventException e) {
            deadLetter(record, e.getMessage());
            return Optional.empty();
        }
    }

    public void deadLetter(ConsumerRecord<String, String> record, String error) {
        LOG.warnf("Skipping unusable message %s-%d@%d (key %s): %s; sent to %s", record.topic(), record.partition(),
                record.offset(), record.key(), error, Topics.DEAD_LETTER);
        meters.counter("gpufleet.messages.dead.lettered", "topic", record.topic()).increment();
        DeadLetter letter = new DeadLetter(record.topic(), record.partition(), record.offset(), record.key(),
                DeadLetterRedaction.redact(record.value()), consumerName, error, clock.instant());
        producer.send(new ProducerRecord<>(Topics.DEAD_LETTER, record.key(), EventCodec.encodeDeadLetter(letter)),
                (metadata, failure) -> {
                    if (failure != null) {
                        LOG.errorf("Could not dead-letter %s-%d@%d: %s", record.topic(), record.partition(),
                                record.offset(), failure.getMessage());
                    }
                });
    }
}
