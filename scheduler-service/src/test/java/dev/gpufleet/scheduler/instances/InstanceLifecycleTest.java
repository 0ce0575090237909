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

    @ParameterizedTest(name = "draining worker ({1}), instance {0} -> {2}")
    @CsvSource(nullValues = "-", value = {
            "PENDING,     READY,       Stay",                // not on the worker
            "SCHEDULED,   MAINTENANCE, Replace DRAINED",
            "RUNNING,     MAINTENANCE, Replace DRAINED",
            "ERROR,       MAINTENANCE, Replace DRAINED",
            "UNREACHABLE, UNREACHABLE, Replace DRAINED",     // no need to wait out the grace period
            "RUNNING,     UNREACHABLE, Replace DRAINED",
    })
    void aDrainingWorkersInstancesAreReplaced(InstanceState state, WorkerState worker, String expected) {
        InstanceLifecycle.Step step = InstanceLifecycle.next(
                new InstanceLifecycle.InstanceFacts(state, NOW.minusSeconds(1), 0, null),
                new InstanceLifecycle.WorkerFacts(worker, null, true),
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
        return step.getClass().getSimpleName();
    }
}
