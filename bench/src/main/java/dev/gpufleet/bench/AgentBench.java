package dev.gpufleet.bench;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's footprint, on the packaged worker-agent (a separate JVM) against a real Kafka broker, with 8 simulated
 * GPUs and a 5 s heartbeat:
 * <ol>
 *   <li>the time from producing an InstanceChanged (SCHEDULED, a local model file: no download) to the backend process
 *   running its first line: the stand-in backend is a shell script that writes the clock and then sleeps;</li>
 *   <li>then, with nothing to run, the agent's RSS and CPU over an idle window.</li>
 * </ol>
 * Args: [window seconds=600] [starts=30] [agent dir=worker-agent/target/quarkus-app] [JVM options...]; without JVM
 * options, the worker-agent's recommended set (the local stack's, see bench/README.md). The agent inherits this
 * environment (MALLOC_ARENA_MAX, for one).
 */
public final class AgentBench {
    private static final String TOKEN = "bench-cluster-token-0123456789abcdef";
    private static final String GPUS = String.join(";", Collections.nCopies(8, "nvidia:NVIDIA H100 80GB HBM3:80GiB"));
    private static final long CLOCK_TICKS = 100; // USER_HZ on Linux
    /** The local stack's own options for the agent, for the JVM that runs this bench (and the agent it starts). */
    static final List<String> RECOMMENDED_JVM = LocalStack.workerAgentJavaOptions(Runtime.version());

    /** The first starts warm the JVM's code paths and are not measured. */
    private static final int WARM_UP_STARTS = 5;

    public static void main(String[] args) throws Exception {
        int window = args.length > 0 ? Integer.parseInt(args[0]) : 600;
        int starts = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        if (starts <= WARM_UP_STARTS) {
            System.err.println("agent: starts must be more than " + WARM_UP_STARTS + " (the first " + WARM_UP_STARTS
                    + " only warm the JVM's code paths), was " + starts);
            System.exit(2);
        }
        Path app = Path.of(args.length > 2 ? args[2] : "worker-agent/target/quarkus-app");
        List<String> jvm = args.length > 3 ? List.of(args).subList(3, args.length) : RECOMMENDED_JVM;
        Path jar = app.resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            System.err.println("agent: " + jar + " is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("agent-bench");
        Path bin = Files.createDirectories(work.resolve("bin"));
        Path backend = bin.resolve("llama-box");
        // the model path follows -m; the clock is written before anything else, then it waits to be stopped
        Files.writeString(backend, "#!/bin/sh\nwhile [ \"$1\" != \"-m\" ]; do shift; done\n"
                + "date +%s%N > \"$2.started\"\nexec sleep 3600\n");
        Files.setPosixFilePermissions(backend, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path models = Files.createDirectories(work.resolve("models"));

        try (EmbeddedKafka kafka = EmbeddedKafka.throwaway().start()) {
            kafka.createTopics(4);
            int port = FreePorts.pick();
            Process agent = startAgent(jar, jvm, work, bin, kafka, port);
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.LINGER_MS_CONFIG, 0))) {
                String workerId = awaitWorkerId(agent, port, work);
                String loadBefore = loadAverage();
                List<Double> startMillis = new ArrayList<>();
                for (int i = 0; i < starts; i++) {
                    Path model = Files.writeString(models.resolve("m" + i + ".gguf"), "stand-in model " + i);
                    String id = "bench-" + i;
                    InstanceChanged instance = new InstanceChanged(id, id, "m-bench", "bench", workerId, "bench-worker",
                            List.of(i % 8), List.of(), new ResourceClaim(1L << 30, Map.of()), InstanceState.SCHEDULED,
                            null, null, 0, new LaunchPlan("llama-box", null, ModelSource.localPath(model.toString()),
                            List.of(), Map.of(), List.of("llm")));
                    Path started = Path.of(model + ".started");
                    Instant produced = Instant.now();
                    send(producer, instance, 1);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!Files.exists(started) || Files.size(started) == 0) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("instance " + id + " did not start; see "
                                    + work.resolve("agent.log"));
                        }
                        Thread.sleep(1);
                    }
                    long startedNanos = Long.parseLong(Files.readString(started).trim());
                    long producedNanos = produced.getEpochSecond() * 1_000_000_000L + produced.getNano();
                    if (i >= WARM_UP_STARTS) {
                        startMillis.add((startedNanos - producedNanos) / 1e6);
                    }
                    send(producer, new InstanceDeleted(id, "m-bench", workerId), 2);
                    producer.send(new ProducerRecord<>(Topics.INSTANCES, id, null)).get();
                    Thread.sleep(300);
                }
                Thread.sleep(5_000); // the stops settle

                String loadAfterStarts = loadAverage();
                long pid = agent.pid();
                long rssBefore = rssKb(pid);
                long ticksBefore = cpuTicks(pid);
                long t0 = System.nanoTime();
                long rssMax = rssBefore;
                for (int s = 0; s < window; s += 5) {
                    Thread.sleep(5_000);
                    rssMax = Math.max(rssMax, rssKb(pid));
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long rssAfter = rssKb(pid);
                double cpuPercent = 100.0 * (cpuTicks(pid) - ticksBefore) / CLOCK_TICKS / seconds;
                String loadAfter = loadAverage();

                Collections.sort(startMillis);
                System.out.printf("%nagent bench: packaged worker-agent JVM (%s), 8 simulated GPUs, 5 s heartbeat,"
                        + " EmbeddedKafka, %d CPUs, MALLOC_ARENA_MAX=%s%n", String.join(" ", jvm),
                        Runtime.getRuntime().availableProcessors(), mallocArenaMax());
                System.out.printf("load average (1/5/15 min): %s before the starts, %s after them, %s after the"
                        + " window%n", loadBefore, loadAfterStarts, loadAfter);
                System.out.printf("starts, sorted (ms): %s%n", startMillis.stream().map(m -> String.format("%.0f", m))
                        .collect(java.util.stream.Collectors.joining(" ")));
                System.out.println("| measure | value | goal |");
                System.out.println("|---|---|---|");
                System.out.printf("| InstanceChanged produced → backend process running, p50 (%d starts) | %.1f ms | ≤ 50 ms |%n",
                        startMillis.size(), pct(startMillis, 50));
                System.out.printf("| same, p95 | %.1f ms | |%n", pct(startMillis, 95));
                System.out.printf("| same, max | %.1f ms | |%n", startMillis.get(startMillis.size() - 1));
                System.out.printf("| RSS at the start of the idle window | %.1f MB | |%n", rssBefore / 1024.0);
                System.out.printf("| RSS after %.0f s idle (max during it) | %.1f MB (%.1f MB) | ≤ 120 MB |%n", seconds,
                        rssAfter / 1024.0, rssMax / 1024.0);
                System.out.printf("| CPU over the idle window | %.2f %% of one core | < 1 %% |%n", cpuPercent);
            } finally {
                agent.destroy();
                if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
        }
    }

    private static void send(KafkaProducer<String, String> producer, EventPayload payload, long revision)
            throws Exception {
        Envelope<EventPayload> envelope = Envelope.of(payload, revision, Clock.systemUTC());
        producer.send(new ProducerRecord<>(Topics.INSTANCES, envelope.key(), EventCodec.encode(envelope))).get();
    }

    private static Process startAgent(Path jar, List<String> jvm, Path work, Path bin, EmbeddedKafka kafka, int port)
            throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvm);
        command.add("-jar");
        command.add(jar.toAbsolutePath().toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("agent.log").toFile());
        builder.environment().putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "GPUFLEET_CLUSTER_TOKEN", TOKEN,
                "GPUFLEET_WORKER_DATA_DIR", work.resolve("data").toString(),
                "GPUFLEET_WORKER_SIMULATED_DEVICES", GPUS,
                "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "5s",
                "GPUFLEET_WORKER_BACKEND_PATH", bin.toString(),
                "GPUFLEET_WORKER_BACKEND_HOST", "127.0.0.1",
                "GPUFLEET_WORKER_PORT_RANGE", "47000-47099",
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_PORT", String.valueOf(port)));
        builder.environment().putAll(Map.of(
                "GPUFLEET_BACKEND_KEY_SECRET", "bench-backend-key-secret-0123456789abcdef",
                "GPUFLEET_METRICS_TOKEN", "bench-metrics-token-0123456789abcdef",
                "QUARKUS_MANAGEMENT_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", "0"));
        builder.environment().put("GPUFLEET_MODELS_LOCAL_ROOTS", work.toString());
        return builder.start();
    }

    private static String awaitWorkerId(Process agent, int port, Path work) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Pattern id = Pattern.compile("\"worker_id\"\\s*:\\s*\"([^\"]+)\"");
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("the agent exited; see " + work.resolve("agent.log"));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/worker")).header("Authorization", "Bearer " + TOKEN).build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher m = id.matcher(r.body());
                if (r.statusCode() == 200 && m.find()) {
                    return m.group(1);
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the agent did not report within 90 s; see " + work.resolve("agent.log"));
    }

    private static String mallocArenaMax() {
        return System.getenv().getOrDefault("MALLOC_ARENA_MAX", "unset");
    }

    private static String loadAverage() throws Exception {
        String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
        return fields[0] + " " + fields[1] + " " + fields[2];
    }

    private static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS for pid " + pid);
    }

    /** utime + stime of the process, in clock ticks. */
    private static long cpuTicks(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static double pct(List<Double> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
