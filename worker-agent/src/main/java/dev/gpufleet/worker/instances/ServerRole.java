package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;

/** What differs between the kinds of helper process a subordinate worker runs ({@link RpcServerPlan.Role}). */
interface ServerRole {

    /**
     * How to start the helper process now.
     *
     * @param instance the scheduler's instance as this worker holds it; null when it was deleted
     */
    ServerLaunch plan(RpcServerPlan.Key key, InstanceChanged instance);

    /** Whether a process an earlier run of the agent left on {@code port} still fits the settings. */
    boolean fits(RpcServerPlan.Key key, int port);

    /**
     * How many exits in a row before it was ready (or soon after its start) fail it: more than one where such an
     * exit can be another's doing.
     */
    int quickExitsToFail();
}
