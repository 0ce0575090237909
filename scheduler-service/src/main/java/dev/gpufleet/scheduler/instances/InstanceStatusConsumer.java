package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.scheduler.messaging.EventIntake;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Reads what agents observe about instances. For now it only checks the messages (bad ones are dead-lettered);
 * applying observations to instance state comes with placement.
 */
@ApplicationScoped
public class InstanceStatusConsumer {
    private static final Logger LOG = Logger.getLogger(InstanceStatusConsumer.class);

    private final EventIntake intake;

    public InstanceStatusConsumer(EventIntake intake) {
        this.intake = intake;
    }

    @Incoming("instance-status")
    public Uni<Void> onInstanceStatus(ConsumerRecord<String, String> record) {
        intake.accept(record, InstanceObserved.class).ifPresent(event -> LOG.debugf(
                "Instance %s observed %s (revision %d); not applied yet", event.key(), event.payload().state(),
                event.revision()));
        return Uni.createFrom().voidItem();
    }
}
