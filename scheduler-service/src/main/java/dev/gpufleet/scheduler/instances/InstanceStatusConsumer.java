package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.scheduler.messaging.EventIntake;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.MDC;

import java.util.UUID;

/**
 * Takes InstanceObserved events from gpufleet.instance-status and applies each through the
 * {@link ObservationApplier}, as heartbeats do with the observations they repeat.
 */
@ApplicationScoped
public class InstanceStatusConsumer {
    private final EventIntake intake;
    private final ObservationApplier applier;
    private final InstanceEventRelay relay;

    public InstanceStatusConsumer(EventIntake intake, ObservationApplier applier, InstanceEventRelay relay) {
        this.intake = intake;
        this.applier = applier;
        this.relay = relay;
    }

    static final String INSTANCE_ID = "instanceId";

    @Incoming("instance-status")
    public Uni<Void> onInstanceStatus(ConsumerRecord<String, String> record) {
        var accepted = intake.accept(record, InstanceObserved.class);
        if (accepted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Envelope<InstanceObserved> event = accepted.get();
        String problem = Observations.problemWith(event.payload());
        UUID instanceId = problem == null ? uuidOrNull(event.payload().instanceId()) : null;
        if (problem == null && instanceId == null) {
            problem = "InstanceObserved instanceId must be a UUID, was '" + event.payload().instanceId() + "'";
        }
        if (problem != null) {
            intake.reject(record, problem);
            return Uni.createFrom().voidItem();
        }
        // the log lines of applying it name the instance (JSON logs: mdc.instanceId); the MDC is the message's
        // Vert.x context's, and is cleared when it is done in case there is none
        MDC.put(INSTANCE_ID, instanceId.toString());
        return intake.inTransaction(record, "Applying observation of instance " + instanceId,
                        () -> applier.apply(instanceId, event.revision(), event.payload()))
                .invoke(published -> {
                    if (published) {
                        relay.wakeUp();
                    }
                })
                .onTermination().invoke(() -> MDC.remove(INSTANCE_ID))
                .replaceWithVoid();
    }

    static UUID uuidOrNull(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
