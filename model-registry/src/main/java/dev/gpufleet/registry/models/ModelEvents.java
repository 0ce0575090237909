package dev.gpufleet.registry.models;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.events.Topics;
import dev.gpufleet.kit.outbox.OutboxMessage;

import java.time.Clock;
import java.util.List;

/** The {@code gpufleet.models} records that announce a change of a model. */
public final class ModelEvents {
    private ModelEvents() {
    }

    /** The model's whole current state at its current revision, estimate included (null when there is none). */
    public static OutboxMessage changed(StoredModel model, Clock clock) {
        String key = model.id().toString();
        ModelChanged payload = new ModelChanged(key, model.spec(), model.analysis(), model.estimate(),
                model.createdAt());
        return OutboxMessage.event(Topics.MODELS, Envelope.of(payload, model.revision(), clock));
    }

    /** {@code ModelDeleted} one revision past the last change, then a tombstone so compaction forgets the key. */
    public static List<OutboxMessage> deleted(StoredModel model, Clock clock) {
        String key = model.id().toString();
        ModelDeleted payload = new ModelDeleted(key, model.spec().name());
        return List.of(
                OutboxMessage.event(Topics.MODELS, Envelope.of(payload, model.revision() + 1, clock)),
                OutboxMessage.tombstone(Topics.MODELS, key));
    }
}
