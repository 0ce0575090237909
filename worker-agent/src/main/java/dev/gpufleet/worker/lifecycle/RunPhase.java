package dev.gpufleet.worker.lifecycle;

/** Where one run of a supervised process stands. */
public enum RunPhase {
    /**
     * Nothing of its own runs yet: its model downloads, or it waits for a process it needs to accept connections (a
     * prelude it started itself, or a process on another worker).
     */
    PREPARING,
    /** Its process runs and has not passed its readiness check yet. */
    STARTING,
    /** Its process passed its readiness check. */
    RUNNING,
    /** Its process exited and is started again after a delay. */
    BACKING_OFF,
    /** Its processes are being stopped; a failure, if any, is reported once they are gone. */
    STOPPING,
    /** Stopped without a failure: nothing is left of it. */
    STOPPED,
    /** It failed and the failure was reported; nothing of it runs. */
    FAILED
}
