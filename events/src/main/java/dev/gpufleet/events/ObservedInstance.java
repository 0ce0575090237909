package dev.gpufleet.events;

/**
 * An instance the agent runs, as listed in its heartbeat: the state it observes now and, when the agent has sent
 * one for that state, the latest {@link InstanceObserved} it published about the instance with that message's
 * revision. Observations on {@code gpufleet.instance-status} are the fast path; this listing repeats the latest one
 * every heartbeat, so the scheduler can apply one it never received (its revision decides, as for the event).
 *
 * @param revision         envelope revision of the {@link InstanceObserved} these fields repeat; null when the agent
 *                         lists only the state (agents before this field, or no observation sent for this state)
 * @param restartCount     the run the observation is about; null with {@code revision}
 * @param downloadProgress as in {@link InstanceObserved}
 * @param measuredUsage    as in {@link InstanceObserved}
 */
public record ObservedInstance(String instanceId, InstanceState state, Long revision, Integer port, Long pid,
                               String message, Integer restartCount, Double downloadProgress,
                               ResourceClaim measuredUsage) {

    /** A listing with the state only. */
    public ObservedInstance(String instanceId, InstanceState state) {
        this(instanceId, state, null, null, null, null, null, null, null);
    }

    /** The entry that repeats {@code observation}, sent with envelope revision {@code revision}. */
    public static ObservedInstance repeating(InstanceObserved observation, long revision) {
        return new ObservedInstance(observation.instanceId(), observation.state(), revision, observation.port(),
                observation.pid(), observation.message(), observation.restartCount(), observation.downloadProgress(),
                observation.measuredUsage());
    }

    /** Whether it repeats an observation (and so can be applied like one). */
    public boolean repeatsObservation() {
        return revision != null && restartCount != null;
    }

    /** The observation this entry repeats, as worker {@code workerId} sent it; only if it {@link #repeatsObservation()}. */
    public InstanceObserved asObservation(String workerId) {
        if (!repeatsObservation()) {
            throw new IllegalStateException("instance " + instanceId + " is listed without an observation");
        }
        return new InstanceObserved(instanceId, workerId, state, downloadProgress, port, pid, message, restartCount,
                measuredUsage);
    }
}
