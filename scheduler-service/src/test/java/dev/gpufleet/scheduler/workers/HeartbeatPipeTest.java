package dev.gpufleet.scheduler.workers;

import dev.gpufleet.scheduler.workers.HeartbeatPipe.Probe;
import dev.gpufleet.scheduler.workers.HeartbeatPipe.State;
import dev.gpufleet.scheduler.workers.HeartbeatPipe.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class HeartbeatPipeTest {
    private static final Instant T = Instant.parse("2026-01-01T12:00:00Z");

    /**
     * Probes every 5 s; more than 8 s between two is a gap. A step is {@code <second>:<end offsets>/<committed offsets>}
     * (per partition, comma-separated, {@code _} for a partition without a committed offset) or
     * {@code <second>:down}. Two probes back must be applied (lagProbes 2).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // case                                                  | probes                                   | status       | since
            "first probe, all applied                                | 0:5,3/5,3                                | HEALTHY      | 0",
            "first probe, the group behind                           | 0:5,3/4,3                                | LAGGING      | 0",
            "a partition never committed, nothing on it              | 0:5,0/5,_                                | HEALTHY      | 0",
            "a partition never committed, heartbeats on it           | 0:5,2/5,_                                | LAGGING      | 0",
            "heartbeats keep coming, applied within two probes       | 0:5/5;5:9/7;10:14/9;15:20/14             | HEALTHY      | 0",
            "applied more slowly than two probes: lagging            | 0:5/5;5:9/6;10:14/8;15:20/8              | LAGGING      | 15",
            "lagging, then caught up again                           | 0:5/5;5:9/6;10:14/8;15:20/8;20:20/20     | HEALTHY      | 20",
            "the broker stops answering                              | 0:5/5;5:down;10:down                     | DISCONNECTED | 5",
            "back: healthy once the backlog is applied               | 0:5/5;5:down;10:9/5;15:9/9               | HEALTHY      | 15",
            "back with everything applied at once                    | 0:5/5;5:down;10:9/9                      | HEALTHY      | 10",
            "a probe long after the previous one starts afresh        | 0:5/5;30:9/9                             | HEALTHY      | 30",
    })
    void statusFromProbes(String ignored, String probes, Status status, long sinceSeconds) {
        State state = State.initial(T);
        for (String step : probes.split(";")) {
            Probe probe = probe(step);
            boolean afterAGap = state.lastProbeAt() != null
                    && Duration.between(state.lastProbeAt(), probe.at()).toSeconds() > 8;
            state = HeartbeatPipe.next(state, probe, 2, afterAGap);
        }
        assertEquals(status, state.status(), state.detail());
        assertEquals(T.plusSeconds(sinceSeconds), state.since());
    }

    @Test
    void healthySinceOnlyWhileHealthy() {
        State healthy = HeartbeatPipe.next(State.initial(T), probe("0:5/5"), 2, false);
        assertEquals(T, healthy.healthySince());
        assertNull(HeartbeatPipe.next(healthy, probe("5:down"), 2, false).healthySince());
        assertNull(State.initial(T).healthySince(), "not probed yet");
    }

    @Test
    void theLagCountsEveryHeartbeatNotAppliedYet() {
        State state = HeartbeatPipe.next(State.initial(T), probe("0:5,3/5,3"), 2, false);
        state = HeartbeatPipe.next(state, probe("5:9,7/6,3"), 2, false);

        assertEquals(Status.HEALTHY, state.status());
        assertEquals(7, state.lagRecords());
    }

    private static Probe probe(String step) {
        String[] timeAndOffsets = step.trim().split(":");
        Instant at = T.plusSeconds(Long.parseLong(timeAndOffsets[0]));
        if (timeAndOffsets[1].equals("down")) {
            return Probe.failed(at, "timed out");
        }
        String[] endAndCommitted = timeAndOffsets[1].split("/");
        return Probe.answered(at, offsets(endAndCommitted[0]), offsets(endAndCommitted[1]));
    }

    private static Map<Integer, Long> offsets(String list) {
        Map<Integer, Long> offsets = new HashMap<>();
        String[] values = list.split(",");
        for (int partition = 0; partition < values.length; partition++) {
            if (!values[partition].equals("_")) {
                offsets.put(partition, Long.parseLong(values[partition]));
            }
        }
        return offsets;
    }
}
