package dev.gpufleet.events;

/**
 * What an agent observed about one of its instances. The scheduler applies it and republishes
 * {@link InstanceChanged}; agents never write instance state themselves.
 *
 * @param downloadProgress 0.0–1.0 while downloading, else null
 * @param measuredUsage    memory the backend's processes hold now (RAM, VRAM per GPU index) while RUNNING; null
 *                         when the agent cannot tell
 */
public record InstanceObserved(String instanceId, String workerId, InstanceState state, Double downloadProgress,
                               Integer port, Long pid, String message, int restartCount, ResourceClaim measuredUsage)
        implements EventPayload {

    public InstanceObserved(String instanceId, String workerId, InstanceState state, Double downloadProgress,
                            Integer port, Long pid, String message, int restartCount) {
        this(instanceId, workerId, state, downloadProgress, port, pid, message, restartCount, null);
    }

    @Override
    public String entityId() {
        return instanceId;
    }
}
