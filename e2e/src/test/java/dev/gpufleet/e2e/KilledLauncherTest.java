package dev.gpufleet.e2e;

import dev.gpufleet.localstack.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./gpufleet up} after the launcher's whole process group was SIGKILLed (a closed terminal, a CI timeout, a
 * service manager's final KILL): PostgreSQL, which runs in a session of its own, outlives the kill; the next start
 * stops it, says so in one line, and comes up. The launcher runs as {@code ./gpufleet up} runs it, in a session of
 * its own (setsid) so that its process group is its own, with its own data dir and free ports.
 */
class KilledLauncherTest {
    static final Duration READY_TIMEOUT = Duration.ofSeconds(240);
    static final String READY_LINE = "Press Ctrl-C to stop everything.";

    @TempDir
    Path dir;

    /** A process as seen at one moment: the pid, and its start time so that a reused pid is not mistaken for it. */
    record Seen(long pid, Instant startedAt, String command) {
        static Seen of(ProcessHandle h) {
            return new Seen(h.pid(), h.info().startInstant().orElse(null), h.info().commandLine().orElse("?"));
        }

        boolean alive() {
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                    .filter(h -> startedAt == null || startedAt.equals(h.info().startInstant().orElse(null)))
                    .isPresent();
        }
    }

    @Test
    void aStackWhoseProcessGroupWasKilledStartsAgainAndStopsWhatTheKilledRunLeft() throws Exception {
        Path dataDir = dir.resolve("data");
        Map<String, String> env = new HashMap<>(Map.of(
                "GPUFLEET_DATA_DIR", dataDir.toString(),
                "GPUFLEET_GATEWAY_PORT", Integer.toString(FreePorts.pick()),
                "GPUFLEET_REGISTRY_PORT", Integer.toString(FreePorts.pick()),
                "GPUFLEET_SCHEDULER_PORT", Integer.toString(FreePorts.pick()),
                "GPUFLEET_WORKER_PORT", Integer.toString(FreePorts.pick()),
                "GPUFLEET_READY_TIMEOUT", Long.toString(READY_TIMEOUT.toSeconds()),
                "GPUFLEET_DEMO", "off"));
        Path postmasterPid = dataDir.resolve("postgres/postmaster.pid");
        Process first = null;
        Process second = null;
        try {
            long t0 = System.nanoTime();
            first = launch(env, dir.resolve("first.out"));
            awaitReady(first, dir.resolve("first.out"));
            System.out.printf("### first run ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            long pgid = processGroupOf(first.pid());
            assertEquals(first.pid(), pgid, "the launcher leads its own process group");
            long postgresPid = postmasterPidIn(postmasterPid);
            List<Seen> firstRun = new ArrayList<>();
            firstRun.add(Seen.of(first.toHandle()));
            first.descendants().map(Seen::of).forEach(firstRun::add);
            ProcessHandle postgres = ProcessHandle.of(postgresPid).orElseThrow();
            firstRun.add(Seen.of(postgres));
            postgres.descendants().map(Seen::of).forEach(firstRun::add);

            signal("-KILL", "-" + pgid);
            assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the launcher ends with its group");
            assertTrue(Seen.of(postgres).alive(), "PostgreSQL outlives the kill of the launcher's group");

            t0 = System.nanoTime();
            second = launch(env, dir.resolve("second.out"));
            String output = awaitReady(second, dir.resolve("second.out"));
            System.out.printf("### second run ready after %.1f s:%n%s%n", (System.nanoTime() - t0) / 1e9, output);
            assertTrue(output.contains("Stopped PostgreSQL left running by an earlier run (pid " + postgresPid + ")."),
                    output);
            assertFalse(output.contains("left alone"), "every pid file of the killed run is accounted for: " + output);
            List<Seen> left = firstRun.stream().filter(Seen::alive).toList();
            assertEquals(List.of(), left, "processes of the killed run still running");
            assertTrue(postmasterPidIn(postmasterPid) != postgresPid, "the second run has its own PostgreSQL");

            t0 = System.nanoTime();
            second.destroy();
            assertTrue(second.waitFor(90, TimeUnit.SECONDS), "Ctrl-C (TERM) stops the launcher");
            System.out.printf("### second run stopped after %.1f s%n", (System.nanoTime() - t0) / 1e9);
            assertTrue(Files.readString(dir.resolve("second.out")).contains("Stopped. Data kept in"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(postmasterPid));
        } finally {
            cleanUp(first, second, postmasterPid);
        }
    }

    /** {@code ./gpufleet up}'s java command, in a new session. */
    private static Process launch(Map<String, String> env, Path output) throws IOException {
        Path root = Path.of(System.getProperty("gpufleet.root", "..")).toAbsolutePath().normalize();
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ProcessBuilder pb = new ProcessBuilder("setsid", java, "-Xmx256m", "-XX:+UseSerialGC", "-cp",
                localStackJar(root) + ":" + root.resolve("local-stack/target/lib") + "/*",
                "dev.gpufleet.localstack.launcher.Launcher", "up")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static Path localStackJar(Path root) throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(root.resolve("local-stack/target"),
                "local-stack-*.jar")) {
            for (Path jar : jars) {
                if (!jar.getFileName().toString().contains("-sources")) {
                    return jar;
                }
            }
        }
        throw new IllegalStateException("local-stack/target/local-stack-*.jar is missing: package local-stack first");
    }

    /** Returns the launcher's output once it says the stack runs; fails with the output if it ends before. */
    private static String awaitReady(Process launcher, Path output) {
        await().atMost(READY_TIMEOUT.plusSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (!launcher.isAlive()) {
                throw new AssertionError("the launcher exited with " + launcher.exitValue() + ":\n" + text);
            }
            return text.contains(READY_LINE);
        });
        try {
            return Files.readString(output, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static long processGroupOf(long pid) throws IOException {
        // /proc/<pid>/stat: pid (comm) state ppid pgrp ...; comm may hold spaces, so count from its ')'
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[2]);
    }

    private static long postmasterPidIn(Path file) throws IOException {
        return Long.parseLong(Files.readAllLines(file).get(0).trim());
    }

    private static void signal(String signal, String target) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, "--", target).inheritIO().start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill " + signal + " " + target);
    }

    /** Whatever the outcome, nothing this test started keeps running. */
    private static void cleanUp(Process first, Process second, Path postmasterPid) throws Exception {
        for (Process launcher : Stream.of(first, second).filter(p -> p != null && p.isAlive()).toList()) {
            launcher.destroy();
            if (!launcher.waitFor(60, TimeUnit.SECONDS)) {
                new ProcessBuilder("kill", "-KILL", "--", "-" + launcher.pid()).inheritIO().start().waitFor();
            }
        }
        if (Files.exists(postmasterPid)) {
            Optional<ProcessHandle> postgres = ProcessHandle.of(postmasterPidIn(postmasterPid));
            if (postgres.isPresent() && postgres.get().info().commandLine().orElse("").contains(
                    postmasterPid.getParent().toString())) {
                new ProcessBuilder("kill", "-INT", Long.toString(postgres.get().pid())).inheritIO().start().waitFor();
                postgres.get().onExit().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
