package dev.gpufleet.scheduler.testing;

import dev.gpufleet.localstack.testing.TestClusterToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.localstack.FreePorts;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged scheduler (target/quarkus-app) run as a separate process, so a test can SIGKILL it. */
public final class SchedulerProcess {
    public static final String TOKEN = "it-cluster-token-0123456789abcdef";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String name;
    private final Path log;
    private final int httpPort;
    private final Process process;

    private SchedulerProcess(String name, Path log, int httpPort, Process process) {
        this.name = name;
        this.log = log;
        this.httpPort = httpPort;
        this.process = process;
    }

    /** Starts one and waits until /q/health/ready answers 200. */
    public static SchedulerProcess start(String name, Path workDir, Map<String, String> env)
            throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("scheduler.app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new AssertionError("run `package` first: " + jar + " is missing");
        }
        int port = FreePorts.pick();
        Path log = workDir.resolve(name + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jar.toAbsolutePath().toString())
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> all = new HashMap<>(env);
        all.put("GPUFLEET_CLUSTER_TOKEN", TOKEN);
        all.put("GPUFLEET_METRICS_TOKEN", TestClusterToken.METRICS_TOKEN);
        all.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        all.put("QUARKUS_MANAGEMENT_PORT", "0");
        all.put("GPUFLEET_SCHEDULER_INSTANCE_ID", name);
        all.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        all.put("QUARKUS_HTTP_PORT", String.valueOf(port));
        builder.environment().putAll(all);
        SchedulerProcess scheduler = new SchedulerProcess(name, log, port, builder.start());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!scheduler.process.isAlive()) {
                throw new AssertionError(name + " exited with " + scheduler.process.exitValue()
                        + " before it was ready:\n" + scheduler.logText());
            }
            if (scheduler.status("/q/health/ready") == 200) {
                return scheduler;
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + " was not ready within 90 s:\n" + scheduler.logText());
    }

    public String name() {
        return name;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hooks, no final commits, no flushes, the database session dropped by the OS. */
    public void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    public int status(String path) throws InterruptedException {
        try {
            return http.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The body of a GET answered 200, or null. */
    public JsonNode getJson(String path) throws InterruptedException {
        try {
            HttpResponse<String> response = http.send(request(path), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? EventCodec.mapper().readTree(response.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(5))
                .build();
    }
}
