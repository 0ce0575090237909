package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.ObservedInstance;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest observation this agent sent about each instance, with its revision, so that every heartbeat can repeat
 * it: an observation lost on its way (Kafka away, the send timed out) reaches the scheduler with the next heartbeat.
 * Written on the supervisor's thread, read on the heartbeat's.
 */
final class LatestObservations {
    /** An instance no longer listed is forgotten after this; a new one may be sent before it is listed. */
    static final Duration KEEP_UNLISTED = Duration.ofMinutes(10);

    private record Sent(ObservedInstance entry, Instant at) {
    }

    private final Map<String, Sent> latest = new ConcurrentHashMap<>();
    private final Clock clock;

    LatestObservations(Clock clock) {
        this.clock = clock;
    }

    void sent(InstanceObserved observation, long revision) {
        latest.put(observation.instanceId(), new Sent(ObservedInstance.repeating(observation, revision),
                clock.instant()));
    }

    /**
     * What the heartbeat lists: each instance the supervisor lists, as its latest observation when that says the
     * same state (else the state alone: the observation of the new state is on its way).
     */
    List<ObservedInstance> listing(List<ObservedInstance> listed) {
        List<ObservedInstance> entries = new ArrayList<>(listed.size());
        Set<String> ids = new HashSet<>();
        for (ObservedInstance instance : listed) {
            ids.add(instance.instanceId());
            Sent sent = latest.get(instance.instanceId());
            entries.add(sent != null && sent.entry().state() == instance.state() ? sent.entry() : instance);
        }
        Instant forgetBefore = clock.instant().minus(KEEP_UNLISTED);
        latest.entrySet().removeIf(e -> !ids.contains(e.getKey()) && e.getValue().at().isBefore(forgetBefore));
        return entries;
    }
}
