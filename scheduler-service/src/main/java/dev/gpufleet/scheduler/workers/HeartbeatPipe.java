package dev.gpufleet.scheduler.workers;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The health of the pipe heartbeats reach the scheduler through: gpufleet.workers and the scheduler group's
 * consumers. It is healthy when the broker answers and the group has applied (committed) every heartbeat that was
 * on the topic a few probes ago; it is LAGGING when the group is behind that, DISCONNECTED when the broker does not
 * answer. While it is not healthy, a silent worker may only be a silent pipe. Pure: probes in, state out.
 */
public final class HeartbeatPipe {

    private HeartbeatPipe() {
    }

    public enum Status {
        /** Not probed yet, or the last probe is too old to tell. */
        UNKNOWN,
        HEALTHY,
        /** The broker answers, but the scheduler's consumers have not applied what it holds. */
        LAGGING,
        /** The broker did not answer. */
        DISCONNECTED
    }

    /**
     * One look at gpufleet.workers.
     *
     * @param endOffsets       per partition, the offset the next heartbeat will get
     * @param committedOffsets per partition, the offset the scheduler group has applied up to (absent: none yet)
     * @param failure          why the broker could not be asked; null when it answered
     */
    public record Probe(Instant at, Map<Integer, Long> endOffsets, Map<Integer, Long> committedOffsets,
                        String failure) {
        public Probe {
            endOffsets = endOffsets == null ? Map.of() : Map.copyOf(endOffsets);
            committedOffsets = committedOffsets == null ? Map.of() : Map.copyOf(committedOffsets);
        }

        public static Probe answered(Instant at, Map<Integer, Long> endOffsets, Map<Integer, Long> committedOffsets) {
            return new Probe(at, endOffsets, committedOffsets, null);
        }

        public static Probe failed(Instant at, String failure) {
            return new Probe(at, Map.of(), Map.of(), failure);
        }
    }

    /**
     * @param since       when it entered this status
     * @param lastProbeAt when it was last probed; null before the first probe
     * @param detail      what the last probe found, in words
     * @param lagRecords  heartbeats on the topic the group has not applied, at the last probe that answered
     * @param recentEnds  the end offsets of the latest answered probes, oldest first
     */
    public record State(Status status, Instant since, Instant lastProbeAt, String detail, long lagRecords,
                        List<Map<Integer, Long>> recentEnds) {
        public State {
            recentEnds = List.copyOf(recentEnds);
        }

        public static State initial(Instant now) {
            return new State(Status.UNKNOWN, now, null, "not probed yet", 0, List.of());
        }

        /** Since when it has been healthy; null when it is not. */
        public Instant healthySince() {
            return status == Status.HEALTHY ? since : null;
        }
    }

    /**
     * @param lagProbes  how many probes back the group must have caught up to: each heartbeat on the topic then must
     *                   be applied within that many probe intervals
     * @param afterAGap  the previous probe was too long ago to join this one: nobody watched meanwhile (this
     *                   process was paused, say), so the status held before does not carry over the gap
     */
    public static State next(State previous, Probe probe, int lagProbes, boolean afterAGap) {
        State before = !afterAGap && previous.lastProbeAt() != null ? previous
                : new State(Status.UNKNOWN, probe.at(), null, previous.detail(), previous.lagRecords(), List.of());
        if (probe.failure() != null) {
            return moveTo(before, Status.DISCONNECTED, probe.at(), "broker did not answer: " + probe.failure(),
                    before.lagRecords(), List.of());
        }
        List<Map<Integer, Long>> ends = new ArrayList<>(before.recentEnds());
        ends.add(probe.endOffsets());
        while (ends.size() > Math.max(1, lagProbes) + 1) {
            ends.remove(0);
        }
        // the oldest end offsets kept: just after a start or a reconnection, the current ones (caught up exactly)
        Map<Integer, Long> mustHaveApplied = ends.get(0);
        long behind = 0;
        int partitionsBehind = 0;
        for (Map.Entry<Integer, Long> end : mustHaveApplied.entrySet()) {
            if (committed(probe, end.getKey()) < end.getValue()) {
                partitionsBehind++;
            }
        }
        for (Map.Entry<Integer, Long> end : probe.endOffsets().entrySet()) {
            behind += Math.max(0, end.getValue() - committed(probe, end.getKey()));
        }
        if (partitionsBehind > 0) {
            return moveTo(before, Status.LAGGING, probe.at(), partitionsBehind + " of "
                    + probe.endOffsets().size() + " partitions behind, " + behind + " heartbeats not applied yet",
                    behind, ends);
        }
        return moveTo(before, Status.HEALTHY, probe.at(), behind == 0 ? "caught up"
                : behind + " heartbeats arrived since the last probes, not applied yet", behind, ends);
    }

    private static long committed(Probe probe, int partition) {
        Long committed = probe.committedOffsets().get(partition);
        return committed == null ? 0 : committed;
    }

    private static State moveTo(State previous, Status status, Instant at, String detail, long lag,
                                List<Map<Integer, Long>> ends) {
        Instant since = previous.status() == status ? previous.since() : at;
        return new State(status, since, at, detail, lag, ends);
    }
}
