package dev.gpufleet.worker.lifecycle;

import java.time.Duration;

/** What happened to a run: the inputs of {@link RunLifecycle}. */
public sealed interface RunSignal {

    /**
     * The run waits for a process to accept connections before its own starts.
     *
     * @param preludeRuns whether that process is the run's own prelude (stopped with it) rather than one elsewhere
     * @param firstPoll   when to look the first time
     */
    record AwaitDependency(boolean preludeRuns, Duration firstPoll) implements RunSignal {
    }

    /** The awaited process was asked whether it accepts connections. */
    record DependencyPolled(boolean accepts) implements RunSignal {
    }

    /** The run's process was started. */
    record Launched() implements RunSignal {
    }

    /** The run's process was left running by an earlier run of the agent and is taken over. */
    record Adopted() implements RunSignal {
    }

    /** The run's process could not be started (or planned). */
    record LaunchFailed(String reason) implements RunSignal {
    }

    /** The readiness or liveness check answered. */
    record ProbeAnswered(boolean healthy, String detail) implements RunSignal {
    }

    /** The run's process exited on its own. */
    record Exited(String how) implements RunSignal {
    }

    /** The run's prelude exited on its own. */
    record PreludeExited(String how) implements RunSignal {
    }

    /** The delay after an exit is over. */
    record RestartDue() implements RunSignal {
    }

    /** The run is no longer wanted: its instance was deleted, moved or restarted, or the agent shuts down. */
    record StopRequested() implements RunSignal {
    }

    /** Every process of the run is gone after a stop. */
    record Stopped() implements RunSignal {
    }
}
