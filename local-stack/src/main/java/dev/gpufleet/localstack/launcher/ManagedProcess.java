package dev.gpufleet.localstack.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One process of the stack: started with its output in a log file, probed for readiness, stopped gently. */
final class ManagedProcess {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path log;
    private final Path pidFile;
    private final Process process;
    private final String url;

    private ManagedProcess(String name, Path log, Path pidFile, Process process, String url) {
        this.name = name;
        this.log = log;
        this.pidFile = pidFile;
        this.process = process;
        this.url = url;
    }

    static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path workDir,
                                Path logDir, Path runDir, String url) {
        try {
            Files.createDirectories(logDir);
            Files.createDirectories(runDir);
            Path log = logDir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.PIPE);
            pb.environment().putAll(env);
            Process p = pb.start();
            Path pidFile = runDir.resolve(name + ".pid");
            // with its start time, so that a later start never takes another program that got the pid for this one
            Files.writeString(pidFile, Leftovers.stackPidFileContent(p.pid(),
                    p.toHandle().info().startInstant().orElse(null)));
            return new ManagedProcess(name, log, pidFile, p, url);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    String url() {
        return url;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the log shows {@code marker}; fails early, with the log's tail, if the process ends. */
    void awaitLogLine(String marker, Duration timeout) {
        awaitUntil(() -> Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(marker), timeout,
                "'" + marker + "' in its log");
    }

    /** Waits until {@code GET url} answers 200 (health endpoints are public). */
    void awaitHttpOk(String probeUrl, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(probeUrl)).timeout(Duration.ofSeconds(3)).build();
        awaitUntil(() -> {
            try {
                return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, timeout, "200 from " + probeUrl);
    }

    private void awaitUntil(Check check, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (check.ok()) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with code " + process.exitValue()
                            + " before it was ready. Last lines of " + log + ":\n" + tail(30));
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s (waited for " + what
                + "). Last lines of " + log + ":\n" + tail(30));
    }

    /** TERM to the process and its children, KILL after the grace period. */
    void stop(Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(0, process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tree.forEach(ProcessHandle::destroyForcibly);
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException ignored) {
            // a stale pid file is checked against the live process table on the next start (Leftovers)
        }
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @FunctionalInterface
    private interface Check {
        boolean ok() throws IOException, InterruptedException;
    }
}
