package dev.gpufleet.worker.lifecycle;

import java.time.Duration;
import java.util.Optional;

/**
 * How a kind of run is checked and what its exits mean.
 *
 * @param startTimeout         how long a prelude or dependency may take to accept connections, and the process to
 *                             pass its readiness check
 * @param firstProbe           the first readiness check after the start
 * @param slowestStartingProbe readiness checks double their delay up to this one
 * @param dependencyPoll       how often an awaited process is asked whether it accepts connections
 * @param liveness             how often a RUNNING process is probed; empty: only its exit is watched
 * @param failedProbesToKill   liveness probes failing in a row that make it failed
 * @param restarts             empty: an exit fails the run; else it is started again with backoff
 */
public record RunPolicy(Duration startTimeout, Duration firstProbe, Duration slowestStartingProbe,
                        Duration dependencyPoll, Optional<Duration> liveness, int failedProbesToKill,
                        Optional<Restarts> restarts) {

    /**
     * Restarts after an exit: the delay starts at {@code first} and doubles up to {@code longest}; it starts at
     * {@code first} again after a run that was ready for {@code stableAfter}. An exit before the readiness check
     * passed, or within {@code minUptime} of the start, is a failed start: {@code quickExitsToFail} of them in a row
     * fail the run.
     */
    public record Restarts(Duration first, Duration longest, Duration stableAfter, Duration minUptime,
                           int quickExitsToFail) {
    }
}
