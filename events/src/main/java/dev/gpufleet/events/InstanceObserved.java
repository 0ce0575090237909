package dev.gpufleet.events;

/**
 * What an agent observed about one of its instances. The scheduler applies it and republishes
 * {@link InstanceChanged}; agents never write instance state themselves.
 *
 * @param downloadProgress 0.0–1.0 while downloading, else null
 */
public record InstanceObserved(String instanceId, String workerId, InstanceState state, Double downloadProgress,
                               Integer port, Long pid, String message, int restartCount) implements EventPayload {
    @Override
    public String entityId() {
        return instanceId;
    }
}
