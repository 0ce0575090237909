package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.outbox.OutboxMessage;
import dev.gpufleet.kit.outbox.OutboxWriter;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;

/** Writes an instance's events to the outbox, in the caller's transaction. */
@ApplicationScoped
public class InstanceEvents {
    private static final OutboxWriter OUTBOX = new OutboxWriter(InstanceEventRelay.TABLE);

    private final Clock clock;

    public InstanceEvents(Clock clock) {
        this.clock = clock;
    }

    /** InstanceChanged at the instance's current revision. */
    public Uni<Void> changed(Instance instance) {
        return append(List.of(OutboxMessage.event(Topics.INSTANCES,
                Envelope.of(toEvent(instance), instance.revision, clock))));
    }

    /** InstanceDeleted one revision past the last change, then a tombstone so compaction forgets the key. */
    public Uni<Void> deleted(Instance instance) {
        String id = instance.id.toString();
        InstanceDeleted deleted = new InstanceDeleted(id, instance.modelId, instance.workerId);
        return append(List.of(OutboxMessage.event(Topics.INSTANCES, Envelope.of(deleted, instance.revision + 1, clock)),
                OutboxMessage.tombstone(Topics.INSTANCES, id)));
    }

    private static Uni<Void> append(List<OutboxMessage> messages) {
        return Panache.getSession().chain(session -> OUTBOX.append(session, messages));
    }

    static InstanceChanged toEvent(Instance instance) {
        Assignment assignment = instance.assignment;
        return new InstanceChanged(instance.id.toString(), instance.name, instance.modelId, instance.modelName,
                instance.workerId, instance.workerName, assignment == null ? List.of() : assignment.gpuIndexes(),
                assignment == null ? List.of() : assignment.subordinates(),
                assignment == null ? null : assignment.claim(), instance.state, instance.stateMessage,
                instance.endpoint, instance.restartCount, instance.launchPlan,
                assignment == null ? null : assignment.shape(), assignment == null ? null : assignment.workerAddress(),
                assignment == null ? null : assignment.deviceIps());
    }
}
