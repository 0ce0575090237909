package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkerLivenessTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");

    @ParameterizedTest(name = "agent says {0}, last heartbeat {1} ms ago, interval {2}s -> {3}")
    @CsvSource({
            // reported, age ms, interval s, expected
            "READY,          0,     5, READY",
            "READY,      14999,     5, READY",
            "READY,      15000,     5, READY",        // exactly 3 intervals: the third heartbeat is just due
            "READY,      15001,     5, UNREACHABLE",
            "NOT_READY,   1000,     5, NOT_READY",
            "NOT_READY,  60000,     5, UNREACHABLE",
            "READY,       3001,     1, UNREACHABLE",
            "READY,      59000,    20, READY",
            "READY,      14000,     0, READY",        // no usable interval: the 5 s default applies
            "READY,      16000,     0, UNREACHABLE",
            "READY,      16000,    -3, UNREACHABLE",
            "MAINTENANCE, 1000,     5, NOT_READY",    // an agent cannot put itself in maintenance
            "READY,      -2000,     5, READY",        // a heartbeat stamped in the future counts as fresh
    })
    void stateFollowsHeartbeats(WorkerState reported, long ageMillis, int intervalSeconds, WorkerState expected) {
        assertEquals(expected,
                WorkerLiveness.stateOf(reported, NOW.minusMillis(ageMillis), intervalSeconds, NOW));
    }

    @ParameterizedTest(name = "last heartbeat {0} s ago, watching for {1} s -> {2}")
    @CsvSource({
            // age s, watching s, expected (interval 5 s)
            "  60,  60, UNREACHABLE",  // silent all the time we watched
            "  60,  10, READY",        // we only just started listening: its heartbeats may be queued
            "  60,  15, READY",
            "  60,  16, UNREACHABLE",
            "  10, 300, READY",
            "  16, 300, UNREACHABLE",
    })
    void silenceCountsOnlyWhileWatching(long ageSeconds, long watchingSeconds, WorkerState expected) {
        assertEquals(expected, WorkerLiveness.stateOf(WorkerState.READY, NOW.minusSeconds(ageSeconds), 5,
                NOW.minusSeconds(watchingSeconds), NOW));
    }

    @ParameterizedTest(name = "held {0}, agent says {1}, heard {2} s ago, cordoned {3} -> {4}")
    @CsvSource(nullValues = "-", value = {
            // held, reported, heard s ago (interval 5 s), cordoned, expected
            "-,           READY,      0, false, READY",
            "READY,       NOT_READY,  0, false, NOT_READY",
            "UNREACHABLE, READY,      1, false, READY",        // back
            "UNREACHABLE, READY,     16, false, UNREACHABLE",  // a heartbeat from before it was lost, delivered late
            "READY,       READY,     16, false, READY",        // late, but losing it is the check's to decide
            "UNREACHABLE, READY,      1, true,  MAINTENANCE",
            "MAINTENANCE, READY,      0, true,  MAINTENANCE",
            "UNREACHABLE, NOT_READY, 16, true,  UNREACHABLE",
    })
    void whatAHeartbeatMakesOfItsWorker(WorkerState held, WorkerState reported, long heardSecondsAgo,
                                        boolean cordoned, WorkerState expected) {
        assertEquals(expected, WorkerLiveness.afterHeartbeat(held, reported, NOW.minusSeconds(heardSecondsAgo), 5,
                cordoned, NOW));
    }

    @ParameterizedTest(name = "live {0}, cordoned {1} -> {2}")
    @CsvSource({
            "READY,       false, READY",
            "NOT_READY,   false, NOT_READY",
            "UNREACHABLE, false, UNREACHABLE",
            "READY,       true,  MAINTENANCE",   // heartbeats do not lift a cordon
            "NOT_READY,   true,  MAINTENANCE",
            "UNREACHABLE, true,  UNREACHABLE",   // a lost worker is lost, cordoned or not
    })
    void aCordonHoldsUnlessTheWorkerIsLost(WorkerState live, boolean cordoned, WorkerState expected) {
        assertEquals(expected, WorkerLiveness.withCordon(live, cordoned));
    }
}
