package dev.gpufleet.worker.processes;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real /bin/sh processes, their log and their exit, as both supervisors run them. */
class ProcessRunnerTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private final StepThread steps = new StepThread("test-steps", "test-kill", Logger.getLogger(getClass()),
            "test step failed");
    private final ProcessRunner runner = new ProcessRunner(steps, Clock.fixed(NOW, ZoneOffset.UTC),
            Duration.ofSeconds(5));

    @AfterEach
    void stopSteps() {
        steps.shutdown();
    }

    @Test
    void eachStartIsMarkedInTheLogAndTheOutputFollowsIt() throws Exception {
        Path log = dir.resolve("logs").resolve("i.log");

        long offset = runner.markStart(log, "instance i (restart 0) on port 26100");
        Process process = runner.start(List.of("/bin/sh", "-c", "echo out; echo err >&2; echo $GREETING"),
                Map.of("GREETING", "hello"), log);
        CompletableFuture<Integer> exitCode = new CompletableFuture<>();
        runner.whenExits(process, code -> exitCode.complete(code));

        assertEquals(0, exitCode.get(10, TimeUnit.SECONDS));
        String header = "=== 2026-01-01T00:00:00Z gpufleet: starting instance i (restart 0) on port 26100\n";
        assertEquals(header.length(), offset);
        assertEquals(header + "out\nerr\nhello\n", Files.readString(log));
    }

    @Test
    void aSecondStartAppends() throws Exception {
        Path log = dir.resolve("i.log");
        runner.markStart(log, "first");
        long offset = runner.markStart(log, "second");

        assertEquals(Files.size(log), offset);
        assertTrue(Files.readString(log).endsWith("gpufleet: starting second\n"), Files.readString(log));
    }

    @Test
    void theExitCodeComesOnTheStepThread() throws Exception {
        Process process = runner.start(List.of("/bin/sh", "-c", "exit 3"), Map.of(), dir.resolve("x.log"));
        CompletableFuture<String> seen = new CompletableFuture<>();
        runner.whenExits(process, code -> seen.complete(Thread.currentThread().getName() + " " + code));

        assertEquals("test-steps 3", seen.get(10, TimeUnit.SECONDS));
    }

    @Test
    void stopEndsTheProcessAndTellsWhenItIsGone() throws Exception {
        Process process = runner.start(List.of("/bin/sh", "-c", "sleep 60"), Map.of(), dir.resolve("x.log"));
        CompletableFuture<Boolean> exited = new CompletableFuture<>();
        runner.whenExits(process.toHandle(), () -> exited.complete(true));

        runner.stop(process.toHandle()).get(10, TimeUnit.SECONDS);

        assertFalse(process.isAlive());
        assertTrue(exited.get(10, TimeUnit.SECONDS));
    }
}
