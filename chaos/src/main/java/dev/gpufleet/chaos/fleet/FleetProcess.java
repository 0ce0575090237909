package dev.gpufleet.chaos.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process of the fleet, started from its command line with its output appended to a log file (a restart
 * appends), so that a fault can signal it: pause (STOP), resume (CONT), kill (KILL) or stop (TERM, then KILL).
 */
public final class FleetProcess {
    private final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path workDir;
    private final Path log;
    private volatile Process process;

    private FleetProcess(String name, List<String> command, Map<String, String> env, Path workDir, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.workDir = workDir;
        this.log = log;
    }

    /** Starts it now. */
    public static FleetProcess start(String name, List<String> command, Map<String, String> env, Path workDir,
                                     Path logDir) {
        FleetProcess p = new FleetProcess(name, command, env, workDir, logDir.resolve(name + ".log"));
        p.start();
        return p;
    }

    /** Starts it (again) with the same command line and environment. */
    public synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " runs already (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "===== start " + java.time.Instant.now() + ": " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            pb.environment().putAll(env);
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    public ProcessHandle handle() {
        return process.toHandle();
    }

    public void pause() {
        Signals.send("STOP", pid());
    }

    public void resume() {
        Signals.send("CONT", pid());
    }

    /** SIGKILL, and waits until it is gone. */
    public void kill() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        Signals.send("CONT", p.pid()); // a paused process dies as well, but its children should not stay paused
        p.destroyForcibly();
        waitFor(p, Duration.ofSeconds(30));
    }

    /** TERM to it and its children, KILL to what is left after the grace. */
    public void stop(Duration grace) {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(0, p.toHandle());
        tree.forEach(h -> Signals.send("CONT", h.pid()));
        tree.forEach(ProcessHandle::destroy);
        if (!waitFor(p, grace)) {
            tree.forEach(ProcessHandle::destroyForcibly);
            waitFor(p, Duration.ofSeconds(10));
        }
    }

    private static boolean waitFor(Process p, Duration timeout) {
        try {
            return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** Fails with the log's tail if the process ended. */
    public void requireAlive(String when) {
        if (!isAlive()) {
            throw new IllegalStateException(name + " exited (" + process.exitValue() + ") " + when + ". Last lines of "
                    + log + ":\n" + tail(40));
        }
    }
}
