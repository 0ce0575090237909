package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.Topics;
import dev.gpufleet.scheduler.outbox.Outbox;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.util.List;

/** Writes an instance's events to the outbox, in the caller's transaction. */
@ApplicationScoped
public class InstanceEvents {
    private final Outbox outbox;
    private final Clock clock;

    public InstanceEvents(Outbox outbox, Clock clock) {
        this.outbox = outbox;
        this.clock = clock;
    }

    /** InstanceChanged at the instance's current revision. */
    public Uni<Void> changed(Instance instance) {
        return outbox.add(Topics.INSTANCES, Envelope.of(toEvent(instance), instance.revision, clock));
    }

    /** InstanceDeleted one revision past the last change, then a tombstone so compaction forgets the key. */
    public Uni<Void> deleted(Instance instance) {
        String id = instance.id.toString();
        InstanceDeleted deleted = new InstanceDeleted(id, instance.modelId, instance.workerId);
        return outbox.add(Topics.INSTANCES, Envelope.of(deleted, instance.revision + 1, clock))
                .chain(() -> outbox.tombstone(Topics.INSTANCES, id));
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
