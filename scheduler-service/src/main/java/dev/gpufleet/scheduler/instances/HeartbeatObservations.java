package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.ObservedInstance;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Which of the observations a heartbeat repeats to apply. Events are the fast path and heartbeats the truth: each
 * heartbeat lists every instance of its worker with the latest observation the agent sent about it, and one that is
 * newer than what the scheduler holds (an InstanceObserved that never arrived) is applied as that event would be.
 * To keep a heartbeat cheap when nothing changed, only entries whose observation differs from the one the previous
 * heartbeat listed are looked up at all: an entry the previous heartbeat listed was decided in its transaction. Pure.
 */
public final class HeartbeatObservations {

    private HeartbeatObservations() {
    }

    /** The entries of {@code current} that repeat an observation {@code previous} did not list. */
    public static List<ObservedInstance> newSince(List<ObservedInstance> previous, List<ObservedInstance> current) {
        Map<String, Long> listedBefore = new HashMap<>();
        for (ObservedInstance entry : previous) {
            listedBefore.put(entry.instanceId(), entry.revision());
        }
        List<ObservedInstance> fresh = new ArrayList<>();
        for (ObservedInstance entry : current) {
            if (entry.repeatsObservation() && !Objects.equals(listedBefore.get(entry.instanceId()), entry.revision())) {
                fresh.add(entry);
            }
        }
        return fresh;
    }

    /** The instance as held, read without loading (or locking) it. */
    public record Held(UUID instanceId, String modelId, String workerId, Long observedRevision, int restartCount) {
    }

    public sealed interface Decision {
    }

    /** Apply it as the InstanceObserved it repeats, with that event's revision. */
    public record Apply(UUID instanceId, String modelId, long revision, InstanceObserved observation)
            implements Decision {
    }

    public record Skip(String why) implements Decision {
    }

    /**
     * @param held null when no such instance is held
     */
    public static Decision decide(String workerId, ObservedInstance entry, Held held) {
        if (!entry.repeatsObservation()) {
            return new Skip("listed without an observation");
        }
        if (held == null) {
            return new Skip("no such instance (deleted?)");
        }
        InstanceObserved observation = entry.asObservation(workerId);
        String problem = Observations.problemWith(observation);
        if (problem != null) {
            return new Skip(problem);
        }
        String ignored = Observations.whyIgnored(new Observations.Held(held.workerId(), held.observedRevision(),
                held.restartCount()), entry.revision(), observation);
        if (ignored != null) {
            return new Skip(ignored);
        }
        return new Apply(held.instanceId(), held.modelId(), entry.revision(), observation);
    }
}
