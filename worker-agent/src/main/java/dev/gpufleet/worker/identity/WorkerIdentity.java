package dev.gpufleet.worker.identity;

import java.util.Objects;

/** Who this agent is: the id never changes once created; the name is what operators see. */
public record WorkerIdentity(String workerId, String name) {
    public WorkerIdentity {
        Objects.requireNonNull(workerId, "workerId");
        Objects.requireNonNull(name, "name");
    }
}
