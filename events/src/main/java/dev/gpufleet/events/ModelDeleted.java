package dev.gpufleet.events;

/** A model was deleted. The producer follows it with a tombstone so compaction forgets the key. */
public record ModelDeleted(String modelId, String name) implements EventPayload {
    @Override
    public String entityId() {
        return modelId;
    }
}
