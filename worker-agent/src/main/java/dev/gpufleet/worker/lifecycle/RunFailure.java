package dev.gpufleet.worker.lifecycle;

/** Why a run failed. The supervisor that owns the run words the message; these say only what happened. */
public sealed interface RunFailure {

    /** It could not be started (no binary, no port, a file that cannot be written, a process that cannot start). */
    record CannotStart(String reason) implements RunFailure {
    }

    /** The process it waits for did not accept connections within the start timeout. */
    record DependencyTimedOut() implements RunFailure {
    }

    /** Its process did not pass its readiness check within the start timeout. */
    record StartTimedOut(String lastProbe) implements RunFailure {
    }

    /** Its process stopped answering the liveness probe. */
    record StoppedAnswering(int probesInARow, String lastProbe) implements RunFailure {
    }

    /** Its process or its prelude exited. */
    record Exited(String how) implements RunFailure {
    }

    /**
     * Its process exited before it was ready or soon after its start, once too often.
     *
     * @param becameReady  whether it had passed its readiness check
     * @param exitsInARow  how many such exits in a row; 0 when the policy fails the first one
     */
    record ExitedEarly(String how, boolean becameReady, int exitsInARow) implements RunFailure {
    }
}
