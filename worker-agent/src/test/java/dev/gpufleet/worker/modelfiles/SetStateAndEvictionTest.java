package dev.gpufleet.worker.modelfiles;

import dev.gpufleet.events.ModelFileSet.State;
import dev.gpufleet.worker.download.DownloadTracker.Progress;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The pure parts of the model files: the state a set is reported in, and which sets a low disk removes. */
class SetStateAndEvictionTest {
    private static final long GIB = 1L << 30;
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final Duration DAY = Duration.ofHours(24);

    @Test
    void theDownloadersViewAndThePartFilesGiveTheState() {
        record Case(String name, Progress progress, int parts, SetState.Mapped expected) {
        }
        String partial = "download incomplete: 2 part files left; it resumes when an instance needs these files";
        List<Case> cases = List.of(
                new Case("nothing known, no part file", null, 0, new SetState.Mapped(State.READY, null, null, null)),
                new Case("in flight", new Progress(true, 300, 1000, null), 1,
                        new SetState.Mapped(State.DOWNLOADING, 300L, 1000L, null)),
                new Case("in flight again after a failure", new Progress(true, 10, 1000, "checksum mismatch"), 1,
                        new SetState.Mapped(State.DOWNLOADING, 10L, 1000L, null)),
                new Case("more than the total is capped", new Progress(true, 1200, 1000, null), 0,
                        new SetState.Mapped(State.DOWNLOADING, 1000L, 1000L, null)),
                new Case("failed", new Progress(false, 0, 0, "checksum mismatch"), 1,
                        new SetState.Mapped(State.ERROR, null, null, "checksum mismatch")),
                new Case("part files without a download (the agent stopped mid-way)", null, 2,
                        new SetState.Mapped(State.ERROR, null, null, partial)),
                new Case("one part file", null, 1, new SetState.Mapped(State.ERROR, null, null,
                        "download incomplete: 1 part file left; it resumes when an instance needs these files")));
        for (Case c : cases) {
            assertEquals(c.expected(), SetState.of(c.progress(), c.parts()), c.name());
        }
    }

    @Test
    void aLowDiskRemovesTheOldestUnusedSetsUntilEnoughIsFree() {
        Eviction.Candidate oldest = new Eviction.Candidate("a", 3 * GIB, NOW.minus(Duration.ofDays(9)), false, true);
        Eviction.Candidate older = new Eviction.Candidate("b", 2 * GIB, NOW.minus(Duration.ofDays(5)), false, true);
        Eviction.Candidate old = new Eviction.Candidate("c", 4 * GIB, NOW.minus(Duration.ofDays(2)), false, true);
        Eviction.Candidate recent = new Eviction.Candidate("d", 8 * GIB, NOW.minus(Duration.ofHours(3)), false, true);
        Eviction.Candidate inUse = new Eviction.Candidate("e", 8 * GIB, NOW.minus(Duration.ofDays(30)), true, true);
        Eviction.Candidate local = new Eviction.Candidate("f", 8 * GIB, NOW.minus(Duration.ofDays(30)), false, false);
        Eviction.Candidate unknownAge = new Eviction.Candidate("g", 8 * GIB, null, false, true);
        List<Eviction.Candidate> all = List.of(recent, old, inUse, oldest, local, older, unknownAge);
        record Case(String name, long free, long minFree, Duration unusedAfter, List<String> expected) {
        }
        List<Case> cases = List.of(
                new Case("enough free: nothing goes", 10 * GIB, 10 * GIB, DAY, List.of()),
                new Case("1 GiB short: the oldest alone", 9 * GIB, 10 * GIB, DAY, List.of("a")),
                new Case("4 GiB short: the two oldest", 6 * GIB, 10 * GIB, DAY, List.of("a", "b")),
                new Case("short by more than all unused: every old one, never the recent, used, local or undated",
                        0, 100 * GIB, DAY, List.of("a", "b", "c")),
                new Case("a week's grace spares all but the oldest", 0, 100 * GIB, Duration.ofDays(7), List.of("a")),
                new Case("min-free 0 never removes", 0, 0, DAY, List.of()));
        for (Case c : cases) {
            assertEquals(c.expected(), Eviction.choose(all, c.free(), c.minFree(), c.unusedAfter(), NOW), c.name());
        }
    }

    @Test
    void setsUsedAtTheSameTimeGoInIdOrder() {
        Instant when = NOW.minus(Duration.ofDays(3));
        List<Eviction.Candidate> sets = List.of(new Eviction.Candidate("z", GIB, when, false, true),
                new Eviction.Candidate("y", GIB, when, false, true));
        assertEquals(List.of("y"), Eviction.choose(sets, 0, GIB, DAY, NOW));
    }
}
