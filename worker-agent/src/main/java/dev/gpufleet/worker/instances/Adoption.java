package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.worker.processes.Leftover;

import java.util.Map;

/**
 * What to do with a backend an earlier run of this agent left running: (the scheduler's instances, the leftover,
 * whether the wait for the scheduler's word is over) → a verdict. Pure.
 *
 * <p>A leftover is adopted when the scheduler still wants exactly that run of the instance here: placed on this
 * worker, with a launch plan, in a placed state and with the restart count it was started with. A higher restart
 * count means the scheduler has asked for a new run, so the old one is stopped. An instance the agent has not heard of
 * yet may still be on its way in on gpufleet.instances, and so may the record of a leftover whose restart count is
 * higher than the one read so far: both are waited for until the grace is over.
 */
public final class Adoption {
    public enum Kind { ADOPT, STOP, WAIT }

    public record Verdict(Kind kind, String reason) {
    }

    private Adoption() {
    }

    public static Verdict decide(String workerId, Map<String, InstanceChanged> instances, Leftover leftover,
                                 boolean graceOver) {
        if (!leftover.adoptable()) {
            return new Verdict(Kind.STOP, "its pid file does not say which instance and port it serves");
        }
        InstanceChanged instance = instances.get(leftover.instanceId());
        if (instance == null) {
            return graceOver ? new Verdict(Kind.STOP, "the scheduler did not claim it") : new Verdict(Kind.WAIT,
                    "the scheduler has not said anything about it yet");
        }
        String unwanted = Reconciler.whyNotHere(workerId, instance);
        if (unwanted != null) {
            return new Verdict(Kind.STOP, unwanted);
        }
        if (instance.restartCount() < leftover.restartCount() && !graceOver) {
            // the record that asked for the leftover's run is further on in gpufleet.instances (an older one of the
            // instance is not compacted away yet): read on before deciding
            return new Verdict(Kind.WAIT, "it is restart " + leftover.restartCount() + " and the scheduler's word read "
                    + "so far is restart " + instance.restartCount());
        }
        if (instance.restartCount() != leftover.restartCount()) {
            return new Verdict(Kind.STOP, "it is restart " + leftover.restartCount() + " and the scheduler wants "
                    + "restart " + instance.restartCount());
        }
        return new Verdict(Kind.ADOPT, "the scheduler still places restart " + instance.restartCount() + " here ("
                + instance.state() + ")");
    }
}
