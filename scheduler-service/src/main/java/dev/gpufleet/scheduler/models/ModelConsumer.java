package dev.gpufleet.scheduler.models;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.Revisions;
import dev.gpufleet.scheduler.instances.InstanceReconciler;
import dev.gpufleet.scheduler.leadership.WorkNotice;
import dev.gpufleet.scheduler.messaging.EventIntake;
import dev.gpufleet.scheduler.outbox.InstanceEventRelay;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.temporal.ChronoUnit;

/**
 * Keeps {@code scheduler.model} in step with gpufleet.models and reconciles the model's instances in the same
 * transaction, so a crash leaves either both or neither; the offset is committed only after that transaction,
 * so a crash redelivers the message and the revision check turns the redelivery into a no-op. Only the leader
 * reconciles; a follower (both consume, each its share of partitions) wakes the leader with a NOTIFY that is
 * sent when the same transaction commits.
 */
@ApplicationScoped
public class ModelConsumer {
    private static final Logger LOG = Logger.getLogger(ModelConsumer.class);

    private final EventIntake intake;
    private final InstanceReconciler reconciler;
    private final InstanceEventRelay relay;
    private final WorkNotice notice;
    private final Clock clock;

    public ModelConsumer(EventIntake intake, InstanceReconciler reconciler, InstanceEventRelay relay,
                         WorkNotice notice, Clock clock) {
        this.intake = intake;
        this.reconciler = reconciler;
        this.relay = relay;
        this.notice = notice;
        this.clock = clock;
    }

    @Incoming("models")
    public Uni<Void> onModel(ConsumerRecord<String, String> record) {
        var accepted = intake.accept(record, EventPayload.class);
        if (accepted.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Envelope<EventPayload> event = accepted.get();
        String problem = problemWith(event.payload());
        if (problem != null) {
            intake.reject(record, problem);
            return Uni.createFrom().voidItem();
        }
        return intake.inTransaction(record, "Applying " + event.type() + " of model " + event.key(),
                        () -> apply(event))
                .invoke(applied -> {
                    if (applied) {
                        relay.wakeUp();
                    }
                })
                .replaceWithVoid();
    }

    /** Applies the event if its revision is newer than the one held, then reconciles; in a transaction. */
    Uni<Boolean> apply(Envelope<EventPayload> event) {
        String modelId = event.key();
        return reconciler.lockModel(modelId)
                .chain(() -> Model.<Model>findById(modelId))
                .chain(held -> {
                    if (held != null && !Revisions.isNewer(held.revision, event.revision())) {
                        LOG.debugf("Model %s: revision %d is not newer than %d, ignored", modelId, event.revision(),
                                held.revision);
                        return Uni.createFrom().item(false);
                    }
                    Model model = held != null ? held : new Model();
                    model.id = modelId;
                    if (event.payload() instanceof ModelChanged changed) {
                        model.name = changed.spec().name();
                        model.spec = changed.spec();
                        model.estimate = changed.estimate();
                        model.replicas = changed.spec().replicas();
                        model.deleted = false;
                    } else {
                        ModelDeleted deleted = (ModelDeleted) event.payload();
                        model.name = deleted.name() != null ? deleted.name() : held != null ? held.name : modelId;
                        model.replicas = 0;
                        model.deleted = true;
                    }
                    model.revision = event.revision();
                    model.updatedAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
                    LOG.infof("Model %s (%s) at revision %d: %s", modelId, model.name, model.revision,
                            model.deleted ? "deleted" : model.replicas + " replicas");
                    Uni<?> saved = held == null ? model.persist() : Uni.createFrom().item(model);
                    return saved.chain(() -> notice.isLeader() ? reconciler.reconcileLocked(model).replaceWithVoid()
                            : notice.wakeLeader(modelId)).replaceWith(true);
                });
    }

    /** Why a well-formed event still cannot be applied, or null. */
    static String problemWith(EventPayload payload) {
        if (payload instanceof ModelChanged changed) {
            ModelSpec spec = changed.spec();
            if (spec == null) {
                return "ModelChanged without spec";
            }
            if (spec.name() == null || spec.name().isBlank()) {
                return "ModelChanged spec.name is missing";
            }
            if (spec.replicas() < 0) {
                return "ModelChanged spec.replicas must be >= 0, was " + spec.replicas();
            }
            return null;
        }
        if (payload instanceof ModelDeleted) {
            return null;
        }
        return payload.getClass().getSimpleName() + " does not belong on gpufleet.models; expected ModelChanged or"
                + " ModelDeleted";
    }
}
