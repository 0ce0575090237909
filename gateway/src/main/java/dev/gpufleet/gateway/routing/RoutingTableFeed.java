package dev.gpufleet.gateway.routing;

import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.Locale;

/**
 * Feeds {@code gpufleet.models} and {@code gpufleet.instances} into the {@link RoutingTable}. Tombstones and
 * malformed messages are handled by the kit's {@link DeadLetterPublisher}; events the table cannot use are
 * dead-lettered too, so one bad message never stops the feed.
 */
@ApplicationScoped
public class RoutingTableFeed {
    private final RoutingTable table;
    private final DeadLetterPublisher deadLetters;
    private final MeterRegistry meters;

    public RoutingTableFeed(RoutingTable table, DeadLetterPublisher deadLetters, MeterRegistry meters) {
        this.table = table;
        this.deadLetters = deadLetters;
        this.meters = meters;
    }

    @Incoming("models")
    public void onModel(ConsumerRecord<String, String> record) {
        apply(record);
    }

    @Incoming("instances")
    public void onInstance(ConsumerRecord<String, String> record) {
        apply(record);
    }

    private void apply(ConsumerRecord<String, String> record) {
        try {
            deadLetters.decode(record).ifPresent(envelope -> {
                RoutingTable.Outcome outcome = table.apply(envelope);
                if (outcome == RoutingTable.Outcome.UNUSABLE) {
                    deadLetters.deadLetter(record, RoutingTable.problemWith(envelope.payload()).orElse(outcome.name()));
                }
                meters.counter("gpufleet.gateway.routing.events", "topic", record.topic(),
                        "outcome", outcome.name().toLowerCase(Locale.ROOT)).increment();
            });
        } catch (RuntimeException e) {
            // a throw would stop the channel for good
            deadLetters.deadLetter(record, "could not apply: " + e);
        }
    }
}
