package dev.gpufleet.worker.processes;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Runs the processes of one supervising component: starts them with their output appended to a log file, tells
 * its {@link StepThread} when they exit, and stops them with their trees (TERM, then KILL after the stop timeout).
 */
public final class ProcessRunner {
    private final StepThread steps;
    private final Clock clock;
    private final Duration stopTimeout;
    private final Map<String, String> agentEnvironment;

    /** Processes get what {@link ProcessEnvironment} passes of the agent's own environment. */
    public ProcessRunner(StepThread steps, Clock clock, Duration stopTimeout) {
        this(steps, clock, stopTimeout, System.getenv());
    }

    /** @param agentEnvironment the environment {@link ProcessEnvironment} picks the passed variables from */
    public ProcessRunner(StepThread steps, Clock clock, Duration stopTimeout, Map<String, String> agentEnvironment) {
        this.steps = steps;
        this.clock = clock;
        this.stopTimeout = stopTimeout;
        this.agentEnvironment = Map.copyOf(agentEnvironment);
    }

    /**
     * Appends {@code === <now> gpufleet: starting <what>} to the log (creating its directory), so that each start
     * can be told apart in it.
     *
     * @return the log's size after that line: where this start's own output begins
     */
    public long markStart(Path logFile, String what) throws IOException {
        Files.createDirectories(logFile.getParent());
        Files.writeString(logFile, "=== " + clock.instant() + " gpufleet: starting " + what + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return Files.size(logFile);
    }

    /**
     * Starts {@code args} with {@code environment} and the few variables {@link ProcessEnvironment} passes from the
     * agent's (nothing else of it), stdout and stderr appended to the log.
     */
    public Process start(List<String> args, Map<String, String> environment, Path logFile) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        builder.environment().clear();
        builder.environment().putAll(ProcessEnvironment.of(agentEnvironment, environment));
        Process process = builder.start();
        process.getOutputStream().close();
        return process;
    }

    /** Runs {@code then} on the step thread with the exit code once the process exits. */
    public void whenExits(Process process, IntConsumer then) {
        process.onExit().whenComplete((exited, failure) -> steps.post(() -> then.accept(process.exitValue())));
    }

    /** Runs {@code then} on the step thread once the process (one this agent did not start) exits. */
    public void whenExits(ProcessHandle process, Runnable then) {
        process.onExit().whenComplete((exited, failure) -> steps.post(then));
    }

    /** @return completes when the process and every descendant seen have exited */
    public CompletableFuture<Void> stop(ProcessHandle root) {
        return ProcessTree.stop(root, stopTimeout, steps.killTimer());
    }
}
