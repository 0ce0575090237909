package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.WorkerState;
import dev.gpufleet.scheduler.workers.FleetLiveness.Hold;
import dev.gpufleet.scheduler.workers.FleetLiveness.Memory;
import dev.gpufleet.scheduler.workers.FleetLiveness.Settings;
import dev.gpufleet.scheduler.workers.FleetLiveness.Verdict;
import dev.gpufleet.scheduler.workers.FleetLiveness.Watched;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FleetLivenessTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Settings SETTINGS = new Settings(0.5, 2, Duration.ofSeconds(60));
    private static final Instant LONG_AGO = NOW.minusSeconds(3600);

    /**
     * Workers (interval 5 s, silent after 15 s) as {@code <id>:<state>:<seconds since heard>}, separated by spaces;
     * the pipe healthy for {@code pipe} seconds ({@code -} when it is not); no mass silence remembered.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // case                                                    | workers                                   | pipe | lost  | hold
            "one worker silent, the pipe healthy for long               | a:READY:16                                | 3600 | a     | NONE",
            "heard within 3 intervals                                   | a:READY:15 b:READY:2                      | 3600 | -     | NONE",
            "the pipe is down: nobody is lost                           | a:READY:60 b:READY:60 c:READY:1           | -    | -     | PIPE",
            "the pipe healthy again only 10 s: silence before is not counted | a:READY:120                          | 10   | -     | NONE",
            "the pipe healthy again 16 s: counted from then             | a:READY:120                               | 16   | a     | NONE",
            "one of four silent                                         | a:READY:20 b:READY:1 c:READY:1 d:READY:1  | 3600 | a     | NONE",
            "two of four: not more than half                            | a:READY:20 b:READY:20 c:READY:1 d:READY:1 | 3600 | a b   | NONE",
            "three of four silent together: the pipe is suspected       | a:READY:20 b:READY:20 c:READY:20 d:READY:1 | 3600 | -    | MASS_SILENCE",
            "both of two silent: suspected                              | a:READY:20 b:NOT_READY:20                 | 3600 | -     | MASS_SILENCE",
            "the only worker silent: lost (at least two for a mass)     | a:READY:20                                | 3600 | a     | NONE",
            "cordoned workers are not in service and do not make a mass | a:MAINTENANCE:20 b:MAINTENANCE:20 c:READY:1 | 3600 | a b | NONE",
            "UNREACHABLE ones are already lost and count for nothing    | a:UNREACHABLE:90 b:UNREACHABLE:90 c:READY:20 d:READY:1 | 3600 | c | NONE",
    })
    void whoIsLost(String ignored, String workers, Long pipeHealthySeconds, String lost, Hold hold) {
        Verdict verdict = FleetLiveness.judge(workers(workers),
                pipeHealthySeconds == null ? null : NOW.minusSeconds(pipeHealthySeconds), LONG_AGO, Memory.NONE,
                SETTINGS, NOW);

        assertEquals(lost == null ? List.of() : Arrays.asList(lost.split(" ")), verdict.lost());
        assertEquals(hold, verdict.hold());
    }

    @ParameterizedTest(name = "watching for {0} s -> lost: {1}")
    @CsvSource({"10, false", "15, false", "16, true"})
    void silenceBeforeThisSchedulerWatchedIsNotCounted(long watchingSeconds, boolean lost) {
        Verdict verdict = FleetLiveness.judge(workers("a:READY:600"), LONG_AGO, NOW.minusSeconds(watchingSeconds),
                Memory.NONE, SETTINGS, NOW);
        assertEquals(lost ? List.of("a") : List.of(), verdict.lost());
    }

    @Test
    void aMassSilenceHoldsForItsTimeThenIsTakenAsReal() {
        Verdict first = FleetLiveness.judge(workers("a:READY:20 b:READY:20 c:READY:20 d:READY:1"), LONG_AGO, LONG_AGO, Memory.NONE, SETTINGS, NOW);
        assertEquals(new Memory(NOW, null), first.memory(), "remembers when it began");

        Verdict later = FleetLiveness.judge(workers("a:READY:79 b:READY:79 c:READY:79 d:READY:1", NOW.plusSeconds(59)),
                LONG_AGO, LONG_AGO, first.memory(), SETTINGS, NOW.plusSeconds(59));
        assertEquals(Hold.MASS_SILENCE, later.hold());
        assertEquals(List.of(), later.lost());

        Verdict expired = FleetLiveness.judge(workers("a:READY:80 b:READY:80 c:READY:80 d:READY:1",
                NOW.plusSeconds(60)), LONG_AGO, LONG_AGO, later.memory(), SETTINGS, NOW.plusSeconds(60));
        assertEquals(Hold.MASS_SILENCE_TAKEN_AS_REAL, expired.hold());
        assertEquals(List.of("a", "b", "c"), expired.lost());

        // marked UNREACHABLE, they are no longer in service: the next check judges as usual, with no fresh start
        Verdict after = FleetLiveness.judge(workers("a:UNREACHABLE:81 b:UNREACHABLE:81 c:UNREACHABLE:81 d:READY:20",
                NOW.plusSeconds(61)), LONG_AGO, LONG_AGO, expired.memory(), SETTINGS, NOW.plusSeconds(61));
        assertEquals(Hold.NONE, after.hold());
        assertEquals(List.of("d"), after.lost());
        assertEquals(Memory.NONE, after.memory());
    }

    @Test
    void whenMostComeBackTheOthersSilenceCountsFromThen() {
        Verdict mass = FleetLiveness.judge(workers("a:READY:20 b:READY:20 c:READY:20 d:READY:1"), LONG_AGO, LONG_AGO,
                Memory.NONE, SETTINGS, NOW);

        Verdict back = FleetLiveness.judge(workers("a:READY:1 b:READY:1 c:READY:30 d:READY:1", NOW.plusSeconds(10)),
                LONG_AGO, LONG_AGO,
                mass.memory(), SETTINGS, NOW.plusSeconds(10));
        assertEquals(List.of(), back.lost(), "c may only be slower to come back through the pipe");
        assertEquals(new Memory(null, NOW.plusSeconds(10)), back.memory());

        Verdict stillSilent = FleetLiveness.judge(workers("a:READY:1 b:READY:1 c:READY:45 d:READY:1",
                NOW.plusSeconds(25)), LONG_AGO,
                LONG_AGO, back.memory(), SETTINGS, NOW.plusSeconds(25));
        assertEquals(List.of(), stillSilent.lost(), "15 s since the mass silence ended");
        Verdict lost = FleetLiveness.judge(workers("a:READY:1 b:READY:1 c:READY:46 d:READY:1",
                NOW.plusSeconds(26)), LONG_AGO,
                LONG_AGO, stillSilent.memory(), SETTINGS, NOW.plusSeconds(26));
        assertEquals(List.of("c"), lost.lost());
    }

    @Test
    void aPipeThatGoesDownForgetsTheMassSilenceItsRecoveryStartsAfresh() {
        Verdict mass = FleetLiveness.judge(workers("a:READY:20 b:READY:20"), LONG_AGO, LONG_AGO, Memory.NONE,
                SETTINGS, NOW);
        Verdict down = FleetLiveness.judge(workers("a:READY:30 b:READY:30", NOW.plusSeconds(10)), null, LONG_AGO, mass.memory(), SETTINGS,
                NOW.plusSeconds(10));
        assertEquals(Hold.PIPE, down.hold());
        assertEquals(Memory.NONE, down.memory());
    }

    @Test
    void aHoldOfZeroTurnsTheMassSilenceRuleOff() {
        Verdict verdict = FleetLiveness.judge(workers("a:READY:20 b:READY:20"), LONG_AGO, LONG_AGO, Memory.NONE,
                new Settings(0.5, 2, Duration.ZERO), NOW);
        assertEquals(List.of("a", "b"), verdict.lost());
    }

    private static List<Watched> workers(String spec) {
        return workers(spec, NOW);
    }

    /** Heard so many seconds before {@code at}. */
    private static List<Watched> workers(String spec, Instant at) {
        List<Watched> workers = new ArrayList<>();
        for (String worker : spec.trim().split("\\s+")) {
            String[] f = worker.split(":");
            WorkerState state = WorkerState.valueOf(f[1]);
            workers.add(new Watched(f[0], state, state == WorkerState.NOT_READY ? WorkerState.NOT_READY
                    : WorkerState.READY, at.minusSeconds(Long.parseLong(f[2])), 5));
        }
        return workers;
    }
}
