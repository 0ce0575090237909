package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;

/**
 * One step towards the desired state.
 *
 * @param instance the instance to start (START only)
 * @param reason   why, for the log
 */
public record Action(Kind kind, String instanceId, InstanceChanged instance, String reason) {
    public enum Kind {
        START,
        STOP,
        /** drop the memory of a failure: the instance is no longer this worker's */
        FORGET
    }

    static Action start(InstanceChanged instance, String reason) {
        return new Action(Kind.START, instance.instanceId(), instance, reason);
    }

    static Action stop(String instanceId, String reason) {
        return new Action(Kind.STOP, instanceId, null, reason);
    }

    static Action forget(String instanceId, String reason) {
        return new Action(Kind.FORGET, instanceId, null, reason);
    }
}
