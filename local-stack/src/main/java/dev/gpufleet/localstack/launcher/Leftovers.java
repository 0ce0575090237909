package dev.gpufleet.localstack.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What an earlier run of the stack on the same data dir left running, found by the pid files it wrote: the
 * launcher's own ({@code run/<component>.pid}, one per process it started) and PostgreSQL's
 * ({@code postgres/postmaster.pid}). PostgreSQL runs in a session of its own (pg_ctl starts it so), so a kill of
 * the launcher's whole process group leaves it running; a launcher killed alone leaves its services too.
 *
 * <p>A pid is only acted on when the process is verifiably the one the file names: its command line (the stack's
 * marker, or {@code postgres -D <data dir>}) and its start time. A pid the system has since given to another
 * program is never signalled. {@link #judge} decides, purely; {@link #stopAll} acts.
 */
final class Leftovers {
    /** The JVM option that marks a process as one of this stack's; the data dir follows it. */
    static final String STACK_MARKER = "-Dgpufleet.stack=";
    /** Slack between the start time a pid file records and the one the process table gives (whole seconds). */
    static final Duration START_TOLERANCE = Duration.ofSeconds(2);
    private static final Duration JVM_STOP_GRACE = Duration.ofSeconds(15);
    private static final Duration POSTGRES_STOP_GRACE = Duration.ofSeconds(30);
    /** How long a process whose command line cannot be read is looked at again: one killed a moment ago is exiting. */
    private static final Duration SETTLE = Duration.ofSeconds(10);

    private Leftovers() {
    }

    /** What a process must look like to be the one a pid file names. */
    enum Kind {
        /** A process the launcher started: its command line carries {@link #STACK_MARKER} with the data dir. */
        STACK_PROCESS,
        /** The PostgreSQL server: the {@code postgres} executable with {@code -D <the stack's postgres dir>}. */
        POSTGRES
    }

    /**
     * What a pid file says.
     *
     * @param dir       the data dir (STACK_PROCESS) or the database cluster's directory (POSTGRES)
     * @param startedAt when that process started; null where the file does not say (then the command line decides)
     */
    record Recorded(Kind kind, long pid, Path dir, Instant startedAt) {
    }

    /**
     * The process now holding the pid, as the process table shows it.
     *
     * @param executable null where it cannot be read (another user's process)
     * @param arguments  null where they cannot be read
     * @param startedAt  null where unknown
     */
    record Live(String executable, List<String> arguments, Instant startedAt) {
    }

    enum Verdict {
        /** No process has the pid: nothing to stop, the file is stale. */
        GONE,
        /** It is the process the file names: stop it. */
        SAME,
        /** Another program has the pid now: never signal it; the file is stale. */
        OTHER,
        /** Its command line cannot be read: it cannot be told apart from another program, so it is left alone. */
        UNKNOWN
    }

    /** @param live null when no process has the pid */
    static Verdict judge(Recorded recorded, Live live) {
        if (live == null) {
            return Verdict.GONE;
        }
        if (live.arguments() == null || recorded.kind() == Kind.POSTGRES && live.executable() == null) {
            return Verdict.UNKNOWN;
        }
        if (!commandMatches(recorded, live)) {
            return Verdict.OTHER;
        }
        if (recorded.startedAt() != null) {
            if (live.startedAt() == null) {
                return Verdict.UNKNOWN;
            }
            Duration apart = Duration.between(recorded.startedAt(), live.startedAt()).abs();
            if (apart.compareTo(START_TOLERANCE) > 0) {
                return Verdict.OTHER;
            }
        }
        return Verdict.SAME;
    }

    private static boolean commandMatches(Recorded recorded, Live live) {
        List<String> args = live.arguments();
        return switch (recorded.kind()) {
            case STACK_PROCESS -> args.contains(STACK_MARKER + recorded.dir());
            case POSTGRES -> {
                Path executable = Path.of(live.executable()).getFileName();
                boolean postgres = executable != null && executable.toString().equals("postgres");
                int d = args.indexOf("-D");
                yield postgres && d >= 0 && d + 1 < args.size()
                        && samePath(Path.of(args.get(d + 1)), recorded.dir());
            }
        };
    }

    private static boolean samePath(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /**
     * The launcher's pid file: the pid, then the process's start time (ISO-8601); files written before start times
     * were kept have the pid alone.
     */
    static Optional<Recorded> parseStackPidFile(String content, Path dataDir) {
        String[] lines = content.strip().split("\\R");
        try {
            long pid = Long.parseLong(lines[0].trim());
            Instant started = lines.length > 1 && !lines[1].isBlank() ? Instant.parse(lines[1].trim()) : null;
            return Optional.of(new Recorded(Kind.STACK_PROCESS, pid, dataDir, started));
        } catch (NumberFormatException | DateTimeParseException e) {
            return Optional.empty();
        }
    }

    static String stackPidFileContent(long pid, Instant startedAt) {
        return pid + "\n" + (startedAt == null ? "" : startedAt.toString()) + "\n";
    }

    /**
     * PostgreSQL's {@code postmaster.pid}: the pid, the data directory, the start time in seconds since the epoch,
     * then more that is not needed here.
     */
    static Optional<Recorded> parsePostmasterPid(String content, Path clusterDir) {
        String[] lines = content.split("\\R");
        if (lines.length < 3) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(lines[0].trim());
            Instant started = Instant.ofEpochSecond(Long.parseLong(lines[2].trim()));
            return Optional.of(new Recorded(Kind.POSTGRES, pid, clusterDir, started));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops what an earlier run left for this data dir, each with one line on {@code out}: the services first, then
     * Kafka's and PostgreSQL's launcher processes, then the PostgreSQL server. The caller holds the data dir's
     * lock, so no launcher that could own these processes is alive.
     */
    static void stopAll(Path dataDir, PrintStream out) {
        stopStackProcesses(dataDir, out);
        stopPostgres(dataDir.resolve("postgres"), out);
    }

    private static void stopStackProcesses(Path dataDir, PrintStream out) {
        Path runDir = dataDir.resolve("run");
        if (!Files.isDirectory(runDir)) {
            return;
        }
        List<Path> pidFiles = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(runDir, "*.pid")) {
            files.forEach(pidFiles::add);
        } catch (IOException e) {
            out.println("Could not look for processes an earlier run left in " + runDir + ": " + e.getMessage());
            return;
        }
        // the services before the infrastructure they use, so that they stop cleanly
        pidFiles.sort(Comparator.comparing((Path p) -> isInfrastructure(componentOf(p)))
                .thenComparing(Path::toString));
        for (Path pidFile : pidFiles) {
            String component = componentOf(pidFile);
            Optional<Recorded> recorded = read(pidFile).flatMap(c -> parseStackPidFile(c, dataDir));
            if (recorded.isPresent()) {
                Seen seen = look(recorded.get());
                Verdict verdict = seen.verdict();
                if (verdict == Verdict.SAME) {
                    stop(seen.handle(), null, JVM_STOP_GRACE);
                    out.println("Stopped " + component + " left running by an earlier run (pid "
                            + recorded.get().pid() + ").");
                } else if (verdict == Verdict.UNKNOWN) {
                    out.println("Process " + recorded.get().pid() + " (" + component + " of an earlier run?) "
                            + "could not be checked and is left alone; stop it yourself if it is a leftover.");
                }
            }
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                out.println("Could not remove " + pidFile + ": " + e.getMessage());
            }
        }
    }

    private static void stopPostgres(Path clusterDir, PrintStream out) {
        Path pidFile = clusterDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        Optional<Recorded> recorded = read(pidFile).flatMap(c -> parsePostmasterPid(c, clusterDir));
        if (recorded.isEmpty()) {
            // PostgreSQL itself judges a lock file it cannot read, and says so in its log
            return;
        }
        long pid = recorded.get().pid();
        Seen seen = look(recorded.get());
        switch (seen.verdict()) {
            case SAME -> {
                // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, then a clean checkpoint
                stop(seen.handle(), "INT", POSTGRES_STOP_GRACE);
                out.println("Stopped PostgreSQL left running by an earlier run (pid " + pid + ").");
            }
            case OTHER -> {
                // PostgreSQL would refuse to start while the pid in its lock file is alive, whoever has it now
                delete(pidFile, out);
                out.println("Removed PostgreSQL's stale lock file " + pidFile + " (pid " + pid
                        + " is another program now).");
            }
            case UNKNOWN -> out.println("PostgreSQL's lock file " + pidFile + " names pid " + pid
                    + ", which could not be checked and is left alone; stop it yourself if it is a leftover.");
            case GONE -> {
                // PostgreSQL replaces a lock file whose process is gone
            }
        }
    }

    private record Seen(Verdict verdict, ProcessHandle handle) {
    }

    /**
     * The verdict on the process now holding the recorded pid. A process killed a moment ago (the rest of a killed
     * process group) can still be exiting, its command line already gone: it is looked at again until it is gone
     * or can be judged, for a while.
     */
    private static Seen look(Recorded recorded) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            Optional<ProcessHandle> handle = ProcessHandle.of(recorded.pid());
            Verdict verdict = judge(recorded, handle.map(Leftovers::live).orElse(null));
            if (verdict != Verdict.UNKNOWN || System.nanoTime() > deadline) {
                return new Seen(verdict, handle.orElse(null));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Seen(verdict, handle.orElse(null));
            }
        }
    }

    private static Live live(ProcessHandle handle) {
        ProcessHandle.Info info = handle.info();
        return new Live(info.command().orElse(null), info.arguments().map(List::of).orElse(null),
                info.startInstant().orElse(null));
    }

    /**
     * Asks the process to end (TERM, or {@code signal} where given), and KILLs it after the grace period.
     * Returns once it has ended.
     */
    private static void stop(ProcessHandle handle, String signal, Duration grace) {
        if (signal == null || !signal(handle.pid(), signal)) {
            handle.destroy();
        }
        try {
            handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            handle.destroyForcibly();
            handle.onExit().completeOnTimeout(handle, 10, TimeUnit.SECONDS).join();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot wait for process " + handle.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping process " + handle.pid(), e);
        }
    }

    /** Java signals only TERM and KILL; kill(1) sends the others. Returns whether it was sent. */
    private static boolean signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String componentOf(Path pidFile) {
        String name = pidFile.getFileName().toString();
        return name.substring(0, name.length() - ".pid".length());
    }

    private static boolean isInfrastructure(String component) {
        return component.equals("kafka") || component.equals("postgres");
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void delete(Path file, PrintStream out) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            out.println("Could not remove " + file + ": " + e.getMessage());
        }
    }
}
