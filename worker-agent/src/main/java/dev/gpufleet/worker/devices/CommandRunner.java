package dev.gpufleet.worker.devices;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Runs the vendors' tools. The detector only talks to this, so tests feed recorded outputs (and failures) through a
 * table instead of needing the hardware.
 */
public interface CommandRunner {

    /** Where {@code tool} would be run from, or empty when it is not installed. */
    Optional<String> find(String tool);

    /**
     * Runs {@code command} (its first word a tool that {@link #find} found) and returns what it printed.
     *
     * @throws ToolFailure when it cannot be started, runs past {@code timeout} or exits with a status other than 0
     */
    String run(List<String> command, Duration timeout) throws ToolFailure;

    /** A tool that exists but did not give an answer; the message names the tool and what went wrong. */
    final class ToolFailure extends Exception {
        public ToolFailure(String message) {
            super(message);
        }
    }
}
