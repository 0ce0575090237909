package dev.gpufleet.scheduler.workers;

import dev.gpufleet.scheduler.workers.HeartbeatStream.Continuity;
import dev.gpufleet.scheduler.workers.HeartbeatStream.Heard;
import dev.gpufleet.scheduler.workers.HeartbeatStream.Position;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HeartbeatStreamTest {
    /** The scheduler's clock. */
    private static final Instant T = Instant.parse("2026-01-01T12:00:00Z");
    /** The agent's clock, an hour behind the scheduler's: only its differences count. */
    private static final Instant AGENT = T.minusSeconds(3600);

    /** Held: run "r1", sequence 10, built at AGENT, heard at T; interval 5 s (silent after 15 s). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // case                                          | run | seq | built s | received s | heard s | continuity | own silence s
            "the next one, on time                           | r1  | 11  |  5      |  5.2       |  5.2    | NEXT       | -",
            "the next one, a little early on our clock        | r1  | 11  |  5      |  4.5       |  4.5    | NEXT       | -",
            "the next one, up to an interval behind           | r1  | 11  |  5      | 10         | 10      | NEXT       | -",
            "the next one, delivered late: heard when built   | r1  | 11  |  5      | 75         |  5      | LATE       | -",
            "late after a slow beat (spacing 9 s)             | r1  | 11  |  9      | 75         |  9      | LATE       | -",
            "a skipped number is the worker's silence         | r1  | 13  | 15      | 75         | 75      | GAP        | 15",
            "spacing beyond the threshold is its silence      | r1  | 11  | 16      | 16.1       | 16.1    | GAP        | 16",
            "its clock stepped back: no usable spacing        | r1  | 11  | -30     |  5         |  5      | GAP        | -30",
            "a repeated number (never sent twice): a gap      | r1  | 10  |  5      |  5         |  5      | GAP        | 5",
            "another run: the agent restarted                 | r2  |  1  | 40      | 41         | 41      | RESTARTED  | -",
            "an agent that does not number its heartbeats     | -   | -   |  5      |  5         |  5      | UNNUMBERED | -",
    })
    void heardFromItsOwnHeartbeats(String ignored, String runId, Long sequence, double builtSeconds,
                                   double receivedSeconds, double heardSeconds, Continuity continuity,
                                   Long ownSilenceSeconds) {
        Position held = new Position("r1", 10L, AGENT, T);

        Heard heard = HeartbeatStream.heard(held, runId, sequence, AGENT.plus(seconds(builtSeconds)),
                T.plus(seconds(receivedSeconds)), 5);

        assertEquals(new Heard(T.plus(seconds(heardSeconds)), continuity,
                ownSilenceSeconds == null ? null : Duration.ofSeconds(ownSilenceSeconds)), heard);
    }

    @ParameterizedTest(name = "held {0}/{1} -> {2}")
    @CsvSource(nullValues = "-", value = {
            // held run, held seq, continuity of a numbered heartbeat from run r1
            "-,  -,  UNNUMBERED",   // held from an agent before the numbering: nothing to compare with
            "r0, -,  RESTARTED",
    })
    void aHeldHeartbeatWithoutNumbers(String heldRun, Long heldSequence, Continuity continuity) {
        Heard heard = HeartbeatStream.heard(new Position(heldRun, heldSequence, null, T), "r1", 1L, AGENT,
                T.plusSeconds(5), 5);
        assertEquals(new Heard(T.plusSeconds(5), continuity, null), heard);
    }

    @ParameterizedTest(name = "a backlog of {0} beats delivered at once after a {1} s stall")
    @CsvSource({"12, 60", "3, 15"})
    void aBacklogDeliveredTogetherKeepsTheWorkersOwnTimesAndCatchesUpWithTheLastOne(int beats, int stallSeconds) {
        // heartbeats every 5 s from T; the pipe stalls, then delivers all of them at T + stall
        Position held = new Position("r1", 0L, AGENT, T);
        Instant delivered = T.plusSeconds(stallSeconds);
        for (int n = 1; n <= beats; n++) {
            Heard heard = HeartbeatStream.heard(held, "r1", (long) n, AGENT.plusSeconds(5L * n), delivered, 5);
            Instant built = T.plusSeconds(5L * n);
            boolean onTime = !delivered.isAfter(built.plusSeconds(5));
            assertEquals(onTime ? new Heard(delivered, Continuity.NEXT, null) : new Heard(built, Continuity.LATE,
                    null), heard, "beat " + n);
            held = new Position("r1", (long) n, AGENT.plusSeconds(5L * n), heard.heardAt());
        }
        assertEquals(delivered, held.heardAt(), "the newest of the backlog was built just now");
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }
}
