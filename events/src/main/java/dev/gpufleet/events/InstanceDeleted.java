package dev.gpufleet.events;

/** An instance was removed (scale-down, model deleted, moved away from a lost worker). Tombstone follows. */
public record InstanceDeleted(String instanceId, String modelId, String workerId) implements EventPayload {
    @Override
    public String entityId() {
        return instanceId;
    }
}
