package dev.gpufleet.registry.outbox;

/** One row for {@code registry.outbox}: a Kafka record to publish once the surrounding transaction commits. */
public record OutboxMessage(String topic, String key, String payload) {
    public static OutboxMessage tombstone(String topic, String key) {
        return new OutboxMessage(topic, key, null);
    }

    public boolean isTombstone() {
        return payload == null;
    }
}
