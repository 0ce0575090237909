package dev.gpufleet.worker.instances;

/**
 * What this agent holds for one instance: a backend process in some phase, or the memory of its failure.
 *
 * @param restartCount the instance's restart count when this agent started (or failed to start) it
 */
public record Held(String instanceId, Phase phase, int restartCount) {
    public enum Phase {
        STARTING,
        RUNNING,
        /** being stopped; nothing is decided for it until its processes are gone */
        STOPPING,
        /** no process: it failed and the agent reported ERROR; it waits for the scheduler's next word */
        FAILED
    }
}
