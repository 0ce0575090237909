package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.WorkerState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InstanceLifecycleTest {
    private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
    private static final Duration BASE = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(60);
    private static final Duration SCHEDULED_TIMEOUT = Duration.ofSeconds(120);

    @ParameterizedTest(name = "{0} for {1}s (recent restarts {2}, observed {3}), worker {4} listing {5}, "
            + "restart_on_error {6} -> {7}")
    @CsvSource(nullValues = "-", value = {
            // state,     since s, recent, observed, worker,      listed,   restart, expected
            "PENDING,     100, 0, -,        -,           -,        true,  Stay",
            "RUNNING,     100, 0, RUNNING,  -,           -,        true,  Stay",          // its worker row is gone
            "RUNNING,     100, 0, RUNNING,  READY,       RUNNING,  true,  Stay",
            // a lost worker
            "RUNNING,     100, 0, RUNNING,  UNREACHABLE, RUNNING,  true,  MarkUnreachable",
            "SCHEDULED,     1, 0, -,        UNREACHABLE, -,        true,  MarkUnreachable",
            "ERROR,      1000, 0, ERROR,    UNREACHABLE, -,        true,  MarkUnreachable", // not restarted there
            // lost for longer than the grace period: replaced elsewhere
            "UNREACHABLE,  59, 0, RUNNING,  UNREACHABLE, RUNNING,  true,  Stay",
            "UNREACHABLE,  60, 0, RUNNING,  UNREACHABLE, RUNNING,  true,  Replace WORKER_LOST",
            "UNREACHABLE, 999, 0, -,        UNREACHABLE, -,        true,  Replace WORKER_LOST",
            // back again: the heartbeat's word, else the last observation, else SCHEDULED
            "UNREACHABLE, 100, 0, STARTING, READY,       RUNNING,  true,  Restore RUNNING",
            "UNREACHABLE, 100, 0, ERROR,    READY,       -,        true,  Restore ERROR",
            "UNREACHABLE, 100, 0, -,        READY,       -,        true,  Restore SCHEDULED",
            "UNREACHABLE, 100, 0, RUNNING,  NOT_READY,   -,        true,  Restore RUNNING",
            "UNREACHABLE, 100, 0, -,        READY,       PENDING,  true,  Restore SCHEDULED",
            // restarts after errors: 10 s, 20 s, 40 s ... after the error
            "ERROR,         9, 0, ERROR,    READY,       ERROR,    true,  Stay",
            "ERROR,        10, 0, ERROR,    READY,       ERROR,    true,  Restart",
            "ERROR,        19, 1, ERROR,    READY,       ERROR,    true,  Stay",
            "ERROR,        20, 1, ERROR,    READY,       ERROR,    true,  Restart",
            "ERROR,       299, 7, ERROR,    READY,       ERROR,    true,  Stay",
            "ERROR,       300, 7, ERROR,    READY,       ERROR,    true,  Restart",
            "ERROR,     99999, 0, ERROR,    READY,       ERROR,    false, Stay",
            "ERROR,        60, 0, ERROR,    NOT_READY,   ERROR,    true,  Restart",
            // ten minutes of RUNNING start the backoff over
            "RUNNING,     599, 3, RUNNING,  READY,       RUNNING,  true,  Stay",
            "RUNNING,     600, 3, RUNNING,  READY,       RUNNING,  true,  ResetBackoff",
            "RUNNING,    6000, 0, RUNNING,  READY,       RUNNING,  true,  Stay",
            "STARTING,    600, 3, STARTING, READY,       STARTING, true,  Stay",
            // placed, but the READY worker never said a word about it: placed again
            "SCHEDULED,   119, 0, -,        READY,       -,        true,  Stay",
            "SCHEDULED,   120, 0, -,        READY,       -,        true,  PlaceAgain NEVER_PICKED_UP",
            "SCHEDULED,   999, 0, -,        READY,       SCHEDULED, true, Stay",         // its heartbeat lists it
            "SCHEDULED,   999, 0, -,        READY,       DOWNLOADING, true, Stay",
            "SCHEDULED,   999, 0, ERROR,    READY,       -,        true,  Stay",          // it reported once
            "SCHEDULED,   999, 0, -,        NOT_READY,   -,        true,  Stay",          // the worker is not ready
            "SCHEDULED,   999, 0, -,        MAINTENANCE, -,        true,  Stay",
    })
    void decidesTheNextStep(InstanceState state, long sinceSeconds, int recentRestarts, InstanceState observed,
                            WorkerState worker, InstanceState listed, boolean restartOnError, String expected) {
        InstanceLifecycle.Step step = InstanceLifecycle.next(
                new InstanceLifecycle.InstanceFacts(state, NOW.minusSeconds(sinceSeconds), recentRestarts, observed),
                worker == null ? null : new InstanceLifecycle.WorkerFacts(worker, listed),
                new InstanceLifecycle.Policy(restartOnError, BASE, GRACE, SCHEDULED_TIMEOUT), NOW);
        assertEquals(expected, describe(step));
    }

    /**
     * Moves, make before break. Columns: the instance's state, its worker's state, whether the worker is drained,
     * its replacement's state ('-': none yet), the step. A RUNNING instance on a drained worker keeps serving until
     * its replacement runs; one that does not serve is moved at once; a lost worker's instance is replaced after the
     * grace period without waiting (it serves nobody).
     */
    @ParameterizedTest(name = "{0} on a {1} worker (drained {2}), replacement {3} -> {4}")
    @CsvSource(nullValues = "-", value = {
            // drained, no replacement yet: a RUNNING instance gets one placed first; one that serves nobody goes now
            "RUNNING,     MAINTENANCE, true,  -,           StartReplacement DRAINED",
            "SCHEDULED,   MAINTENANCE, true,  -,           Replace DRAINED",
            "DOWNLOADING, MAINTENANCE, true,  -,           Replace DRAINED",
            "STARTING,    MAINTENANCE, true,  -,           Replace DRAINED",
            "ERROR,       MAINTENANCE, true,  -,           Replace DRAINED",
            "PENDING,     READY,       true,  -,           Stay",                        // not on the worker
            "RUNNING,     UNREACHABLE, true,  -,           MarkUnreachable",             // not routed to any more
            "UNREACHABLE, UNREACHABLE, true,  -,           Replace DRAINED",             // no grace period to wait
            // drained, with a replacement: kept while it does not run, stopped once it does
            "RUNNING,     MAINTENANCE, true,  PENDING,     AwaitReplacement DRAINED",    // cannot be placed (yet)
            "RUNNING,     MAINTENANCE, true,  SCHEDULED,   AwaitReplacement DRAINED",
            "RUNNING,     MAINTENANCE, true,  DOWNLOADING, AwaitReplacement DRAINED",
            "RUNNING,     MAINTENANCE, true,  STARTING,    AwaitReplacement DRAINED",
            "RUNNING,     MAINTENANCE, true,  ERROR,       AwaitReplacement DRAINED",    // failed: this one serves on
            "RUNNING,     MAINTENANCE, true,  UNREACHABLE, AwaitReplacement DRAINED",
            "RUNNING,     MAINTENANCE, true,  RUNNING,     HandOver REPLACEMENT_RUNNING",
            // the instance stops serving meanwhile: the replacement takes its replica now
            "ERROR,       MAINTENANCE, true,  STARTING,    HandOver NOT_SERVING",
            "STARTING,    MAINTENANCE, true,  PENDING,     HandOver NOT_SERVING",
            "RUNNING,     UNREACHABLE, true,  STARTING,    MarkUnreachable",
            "UNREACHABLE, UNREACHABLE, true,  STARTING,    HandOver NOT_SERVING",
            "UNREACHABLE, UNREACHABLE, true,  RUNNING,     HandOver REPLACEMENT_RUNNING",
            "PENDING,     -,           false, STARTING,    HandOver NOT_SERVING",
            // the drain is lifted (uncordon): a replacement that does not run yet goes, one that runs stays
            "RUNNING,     READY,       false, STARTING,    CancelReplacement",
            "RUNNING,     READY,       false, PENDING,     CancelReplacement",
            "RUNNING,     MAINTENANCE, false, ERROR,       CancelReplacement",           // cordoned, not drained
            "RUNNING,     READY,       false, RUNNING,     HandOver REPLACEMENT_RUNNING",
            "ERROR,       READY,       false, STARTING,    HandOver NOT_SERVING",
            // not drained, no replacement: no move the scheduler chooses
            "RUNNING,     READY,       false, -,           Stay",
            "RUNNING,     MAINTENANCE, false, -,           Stay",
    })
    void movesAreMadeBeforeTheyBreak(InstanceState state, WorkerState worker, boolean draining,
                                     InstanceState replacement, String expected) {
        InstanceLifecycle.Step step = InstanceLifecycle.next(
                new InstanceLifecycle.InstanceFacts(state, NOW.minusSeconds(1), 0, state),
                worker == null ? null : new InstanceLifecycle.WorkerFacts(worker, state, draining),
                replacement == null ? null : new InstanceLifecycle.ReplacementFacts(replacement),
                new InstanceLifecycle.Policy(true, BASE, GRACE, SCHEDULED_TIMEOUT), NOW);
        assertEquals(expected, describe(step));
    }

    private static String describe(InstanceLifecycle.Step step) {
        if (step instanceof InstanceLifecycle.Restore restore) {
            return "Restore " + restore.state();
        }
        if (step instanceof InstanceLifecycle.Replace replace) {
            return "Replace " + replace.why();
        }
        if (step instanceof InstanceLifecycle.PlaceAgain again) {
            return "PlaceAgain " + again.why();
        }
        if (step instanceof InstanceLifecycle.StartReplacement start) {
            return "StartReplacement " + start.why();
        }
        if (step instanceof InstanceLifecycle.AwaitReplacement await) {
            return "AwaitReplacement " + await.why();
        }
        if (step instanceof InstanceLifecycle.HandOver handOver) {
            return "HandOver " + handOver.when();
        }
        return step.getClass().getSimpleName();
    }
}
