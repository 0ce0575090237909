package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.kit.kafka.DeadLetterPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Feeds {@code gpufleet.instances} to the supervisor. The topic is read from its beginning on every start (see
 * application.properties), so the agent always knows the desired state of every instance, also after a restart.
 */
@ApplicationScoped
public class InstanceFeed {
    private final Supervision supervision;
    private final DeadLetterPublisher deadLetters;

    public InstanceFeed(Supervision supervision, DeadLetterPublisher deadLetters) {
        this.supervision = supervision;
        this.deadLetters = deadLetters;
    }

    @Incoming("instances")
    public void onInstance(ConsumerRecord<String, String> record) {
        try {
            if (record.value() == null) {
                if (record.key() != null) {
                    supervision.supervisor().tombstone(record.key());
                }
                return;
            }
            deadLetters.decode(record).ifPresent(envelope -> {
                if (envelope.payload() instanceof InstanceChanged || envelope.payload() instanceof InstanceDeleted) {
                    supervision.supervisor().accept(envelope);
                } else {
                    deadLetters.deadLetter(record, envelope.type() + " does not belong on " + record.topic());
                }
            });
        } catch (RuntimeException e) {
            // a throw would stop the channel for good
            deadLetters.deadLetter(record, "could not apply: " + e);
        }
    }
}
