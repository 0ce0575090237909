package dev.gpufleet.kit.outbox;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;

/** One outbox row: a Kafka record to publish once the surrounding transaction commits. */
public record OutboxMessage(String topic, String key, String payload) {

    /** The event under its entity's key, encoded as the contract says. */
    public static OutboxMessage event(String topic, Envelope<?> event) {
        return new OutboxMessage(topic, event.key(), EventCodec.encode(event));
    }

    /** A null-valued record after a ...Deleted event, so compaction forgets the key. */
    public static OutboxMessage tombstone(String topic, String key) {
        return new OutboxMessage(topic, key, null);
    }

    public boolean isTombstone() {
        return payload == null;
    }
}
