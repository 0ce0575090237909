package dev.gpufleet.gateway.routing;

import dev.gpufleet.gateway.health.RoutingCatchUp;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.util.Locale;

/**
 * Feeds {@code gpufleet.models} and {@code gpufleet.instances} into the {@link RoutingTable}. Tombstones and
 * malformed messages are handled by the kit's {@link DeadLetterPublisher}; events the table cannot use are
 * dead-lettered too, so one bad message never stops the feed. Each record read is reported to
 * {@link RoutingCatchUp}, which tells when the table has caught up after the start; a change of an instance lets
 * the {@link Balancer} hand freed or new capacity to requests waiting in line.
 */
@ApplicationScoped
public class RoutingTableFeed {
    private final RoutingTable table;
    private final DeadLetterPublisher deadLetters;
    private final MeterRegistry meters;
    private final RoutingCatchUp catchUp;
    private final Balancer balancer;

    public RoutingTableFeed(RoutingTable table, DeadLetterPublisher deadLetters, MeterRegistry meters,
                            RoutingCatchUp catchUp, Balancer balancer) {
        this.table = table;
        this.deadLetters = deadLetters;
        this.meters = meters;
        this.catchUp = catchUp;
        this.balancer = balancer;
    }

    @Incoming("models")
    public void onModel(ConsumerRecord<String, String> record) {
        apply(record);
    }

    @Incoming("instances")
    public void onInstance(ConsumerRecord<String, String> record) {
        if (apply(record) == RoutingTable.Outcome.APPLIED) {
            balancer.routableChanged();
        }
    }

    /** @return what the table made of it; null for a tombstone, a dead-lettered message or a failure */
    private RoutingTable.Outcome apply(ConsumerRecord<String, String> record) {
        try {
            var envelope = deadLetters.decode(record);
            if (envelope.isEmpty()) {
                return null;
            }
            RoutingTable.Outcome outcome = table.apply(envelope.get());
            if (outcome == RoutingTable.Outcome.UNUSABLE) {
                deadLetters.deadLetter(record, RoutingTable.problemWith(envelope.get().payload())
                        .orElse(outcome.name()));
            }
            meters.counter("gpufleet.gateway.routing.events", "topic", record.topic(),
                    "outcome", outcome.name().toLowerCase(Locale.ROOT)).increment();
            return outcome;
        } catch (RuntimeException e) {
            // a throw would stop the channel for good
            deadLetters.deadLetter(record, "could not apply: " + e);
            return null;
        } finally {
            catchUp.applied(record.topic(), record.partition(), record.offset());
        }
    }
}
