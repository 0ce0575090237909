package dev.gpufleet.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.SchedulerProcess;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka broker that heartbeats and observations go through, run as its own process, is paused (SIGSTOP) for
 * longer than a worker's unreachable threshold plus the grace period, then resumed: the packaged scheduler marks no
 * worker UNREACHABLE and replaces no instance, and a backend that crashed meanwhile, whose observation never got
 * through, is repaired from the heartbeats once the broker is back.
 */
class HeartbeatPipeOutageIT {
    private static final String DATABASE = "gpufleet";
    private static final String USER = "gpufleet";
    private static final long GIB = 1L << 30;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int WORKERS = 3;
    /** Workers beat every second and declare 2 s: silent after 6 s; instances move 5 s after that. */
    private static final int INTERVAL_SECONDS = 2;
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration PAUSE = Duration.ofSeconds(20);

    private static Process kafka;
    private static Path kafkaLog;
    private static String bootstrapServers;
    private static EmbeddedPostgresServer postgres;
    private static String dbPassword;
    private static Path workDir;

    private final List<Heartbeats> workers = new ArrayList<>();
    private final Map<String, Map<String, ObservedInstance>> listed = new HashMap<>();
    private SchedulerProcess scheduler;
    private Events events;

    @BeforeAll
    static void startInfrastructure() throws Exception {
        workDir = Path.of(System.getProperty("scheduler.it.dir", "target/it")).resolve("pipe-outage");
        Files.createDirectories(workDir);
        Path kafkaData = Files.createTempDirectory(workDir, "kafka-");
        int port = FreePorts.pick();
        kafkaLog = workDir.resolve("kafka.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        kafka = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "dev.gpufleet.localstack.launcher.KafkaMain", kafkaData.toString(), String.valueOf(port),
                String.valueOf(FreePorts.pick()))
                .redirectErrorStream(true).redirectOutput(kafkaLog.toFile()).start();
        bootstrapServers = "127.0.0.1:" + port;
        awaitCondition("Kafka ready", () -> {
            if (!kafka.isAlive()) {
                throw new AssertionError("Kafka exited:\n" + read(kafkaLog));
            }
            return read(kafkaLog).contains("gpufleet: kafka ready");
        });
        postgres = EmbeddedPostgresServer.start(null, 0);
        dbPassword = UUID.randomUUID().toString();
        postgres.ensureDatabase(DATABASE, USER, dbPassword);
    }

    @AfterAll
    static void stopInfrastructure() throws Exception {
        if (kafka != null) {
            signal("CONT");
            kafka.destroy();
            if (!kafka.waitFor(30, TimeUnit.SECONDS)) {
                kafka.destroyForcibly();
            }
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @AfterEach
    void stopEverything() {
        workers.forEach(Heartbeats::close);
        if (events != null) {
            events.close();
        }
        if (scheduler != null) {
            scheduler.kill();
        }
    }

    @Test
    void aPausedBrokerLosesNoWorkerReplacesNoInstanceAndTheHeartbeatsRepairWhatWasLost() throws Exception {
        try {
            events = new Events(bootstrapServers);
            scheduler = SchedulerProcess.start("scheduler", workDir, Map.ofEntries(
                    Map.entry("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers),
                    Map.entry("QUARKUS_DATASOURCE_REACTIVE_URL", postgres.reactiveUrl(DATABASE)),
                    Map.entry("QUARKUS_DATASOURCE_JDBC_URL", postgres.jdbcUrl(DATABASE)),
                    Map.entry("QUARKUS_DATASOURCE_USERNAME", USER),
                    Map.entry("QUARKUS_DATASOURCE_PASSWORD", dbPassword),
                    Map.entry("GPUFLEET_SCHEDULER_RECONCILE_INTERVAL", "1s"),
                    Map.entry("GPUFLEET_SCHEDULER_OUTBOX_POLL_INTERVAL", "1s"),
                    Map.entry("GPUFLEET_SCHEDULER_WORKER_CHECK_INTERVAL", "1s"),
                    Map.entry("GPUFLEET_SCHEDULER_HEARTBEAT_MAX_LAG", "3s"),
                    Map.entry("GPUFLEET_SCHEDULER_HEARTBEAT_PROBE_TIMEOUT", "2s"),
                    Map.entry("GPUFLEET_SCHEDULER_UNREACHABLE_GRACE", GRACE.toSeconds() + "s"),
                    // the pipe's own health must carry this, not the mass-silence rule
                    Map.entry("GPUFLEET_SCHEDULER_MASS_SILENCE_HOLD", "0s")));

            List<String> workerIds = new ArrayList<>();
            for (int n = 0; n < WORKERS; n++) {
                String id = UUID.randomUUID().toString();
                workerIds.add(id);
                workers.add(new Heartbeats(events, Clock.systemUTC(), new WorkerReported(id, "pause-" + n,
                        "10.8.0." + n, 10150, "linux", "amd64", Map.of("pool", "pause"), 8, 5.0, 16 * GIB, 2 * GIB,
                        List.of(), WorkerState.READY, null, List.of(), INTERVAL_SECONDS)).start());
            }
            String modelId = UUID.randomUUID().toString();
            events.send(Topics.MODELS, Events.modelChanged(modelId, new ModelSpec("pause-chat",
                    ModelSource.localPath("/models/pause.gguf"), "llama-box", null, List.of(), Map.of(), WORKERS,
                    List.of("llm"), "spread", true, false, Map.of("pool", "pause"), List.of(), false),
                    new ResourceEstimate(GIB, 0)), 1);
            Map<String, InstanceChanged> placed = await("every replica placed", () -> latest(modelId), l -> l.size()
                    == WORKERS && l.values().stream().allMatch(c -> c.state() == InstanceState.SCHEDULED));

            // each backend runs: its agent says so on gpufleet.instance-status and in every heartbeat
            long revision = 100;
            for (InstanceChanged instance : placed.values()) {
                revision++;
                InstanceObserved running = new InstanceObserved(instance.instanceId(), instance.workerId(),
                        InstanceState.RUNNING, null, 40001, 900L + revision, null, 0);
                events.send(Topics.INSTANCE_STATUS, running, revision);
                list(workerIds, instance.workerId(), ObservedInstance.repeating(running, revision));
            }
            await("every instance RUNNING", () -> latest(modelId),
                    l -> l.values().stream().allMatch(c -> c.state() == InstanceState.RUNNING));
            await("the heartbeat pipe healthy", () -> scheduler.logText(),
                    log -> log.contains("Heartbeat pipe (gpufleet.workers, group scheduler-service) is HEALTHY"));
            Set<String> instancesBefore = new TreeSet<>(placed.keySet());

            WorkerWatch watch = new WorkerWatch();
            watch.start();
            signal("STOP");
            long pausedAt = System.nanoTime();
            InstanceChanged crashed = placed.values().iterator().next();
            InstanceObserved crash = new InstanceObserved(crashed.instanceId(), crashed.workerId(),
                    InstanceState.ERROR, null, null, null, "backend exited with code 3", 0);
            try {
                // the agent's observation of the crash does not get through the paused broker: it is lost
                ExecutionException lost = assertThrows(ExecutionException.class, () -> sendWithin(crash, 200));
                assertTrue(lost.getCause() instanceof TimeoutException, lost.toString());
                // ... but every heartbeat from now on repeats it
                list(workerIds, crashed.workerId(), ObservedInstance.repeating(crash, 200));
                awaitCondition("the scheduler to see the pipe down", () -> scheduler.logText().contains(
                        "Heartbeat pipe (gpufleet.workers, group scheduler-service) is DISCONNECTED"));
                awaitCondition("the pause to last " + PAUSE.toSeconds() + " s",
                        () -> watch.failed() || System.nanoTime() - pausedAt >= PAUSE.toNanos());
            } finally {
                signal("CONT");
            }
            long resumedAt = System.nanoTime();

            InstanceChanged repaired = await("the crash repaired from heartbeats", () -> latest(modelId)
                    .get(crashed.instanceId()), c -> c != null && c.state() == InstanceState.ERROR);
            assertEquals(List.of(), watch.unreachable(), "workers seen UNREACHABLE during the pause");
            assertEquals("backend exited with code 3", repaired.stateMessage());
            Duration repairedAfter = Duration.ofNanos(System.nanoTime() - resumedAt);
            // the watch outlasts unreachable threshold and grace once more after the broker is back
            awaitCondition("a threshold and a grace after the resume", () -> watch.failed()
                    || System.nanoTime() - resumedAt >= Duration.ofSeconds(3L * INTERVAL_SECONDS)
                    .plus(GRACE).plusSeconds(2).toNanos());
            watch.stop();

            assertEquals(List.of(), watch.unreachable(), "workers seen UNREACHABLE after the pause");
            Map<String, InstanceChanged> after = latest(modelId);
            assertEquals(instancesBefore, new TreeSet<>(after.keySet()), "the same instances, none replaced");
            Events.InstanceLog log = events.instanceLog(modelId);
            assertEquals(List.of(), log.deleted(), "no instance deleted");
            assertTrue(log.changed().stream().noneMatch(e -> e.payload().state() == InstanceState.UNREACHABLE),
                    "no instance went UNREACHABLE: " + log.changed().stream().map(e -> e.payload().state()).toList());
            after.values().stream().filter(c -> !c.instanceId().equals(crashed.instanceId())).forEach(c ->
                    assertEquals(InstanceState.RUNNING, c.state(), c.instanceId() + " keeps running"));
            assertTrue(events.readAll(Topics.INSTANCE_STATUS).stream()
                            .noneMatch(r -> r.value() != null && r.value().contains("backend exited with code 3")),
                    "the crash's own observation never reached the broker: the heartbeats repaired it");
            // the consumers catch up with what queued meanwhile: the pipe is healthy again, and says so
            await("the heartbeat pipe healthy again", () -> healthCheck("heartbeat-pipe"),
                    pipe -> pipe != null && "HEALTHY".equals(pipe.path("data").path("status").asText())
                            && !pipe.path("data").path("degraded").asBoolean(true));
            System.out.printf("broker paused %d s (unreachable after %d s, grace %d s): 0 of %d workers UNREACHABLE,"
                            + " 0 of %d instances replaced, the lost crash repaired %d ms after the broker resumed%n",
                    PAUSE.toSeconds(), 3 * INTERVAL_SECONDS, GRACE.toSeconds(), WORKERS, WORKERS,
                    repairedAfter.toMillis());
        } catch (Throwable t) {
            if (scheduler != null) {
                System.out.println("===== scheduler =====\n" + scheduler.logText());
            }
            throw t;
        }
    }

    /** Polls the workers the scheduler lists and remembers every one it ever saw UNREACHABLE. */
    private final class WorkerWatch {
        private final Set<String> unreachable = new TreeSet<>();
        private volatile boolean running = true;
        private volatile Throwable failure;
        private Thread thread;

        void start() {
            thread = new Thread(() -> {
                try {
                    while (running) {
                        JsonNode list = scheduler.getJson("/api/v1/workers?per_page=100");
                        if (list != null) {
                            for (JsonNode worker : list.path("items")) {
                                if ("UNREACHABLE".equals(worker.path("state").asText())) {
                                    synchronized (unreachable) {
                                        unreachable.add(worker.path("name").asText());
                                    }
                                }
                            }
                        }
                        Thread.sleep(200);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }, "worker-watch");
            thread.setDaemon(true);
            thread.start();
        }

        boolean failed() {
            return failure != null || !unreachable().isEmpty();
        }

        List<String> unreachable() {
            synchronized (unreachable) {
                return List.copyOf(unreachable);
            }
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(10_000);
            if (failure != null) {
                throw new AssertionError("watching workers failed", failure);
            }
        }
    }

    /** From the next heartbeat on, the worker lists the instance so (and the others it listed as before). */
    private void list(List<String> workerIds, String workerId, ObservedInstance entry) {
        Map<String, ObservedInstance> entries = listed.computeIfAbsent(workerId, id -> new TreeMap<>());
        entries.put(entry.instanceId(), entry);
        workers.get(workerIds.indexOf(workerId)).listing(List.copyOf(entries.values()));
    }

    /** Sends as an agent whose producer connects now: with the broker paused it never gets the topic's metadata. */
    private void sendWithin(InstanceObserved observation, long revision) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 3_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            Envelope<InstanceObserved> envelope = Envelope.of(observation, revision, Clock.systemUTC());
            try {
                producer.send(new ProducerRecord<>(Topics.INSTANCE_STATUS, envelope.key(), EventCodec.encode(envelope)))
                        .get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // thrown by send() itself when there is no metadata, as the agent's producer does
                throw new ExecutionException(e);
            }
        }
    }

    /** The latest InstanceChanged of each of the model's instances. */
    private Map<String, InstanceChanged> latest(String modelId) {
        Map<String, InstanceChanged> latest = new HashMap<>();
        Events.InstanceLog log = events.instanceLog(modelId);
        log.changed().forEach(e -> latest.put(e.payload().instanceId(), e.payload()));
        log.deletedIds().forEach(latest::remove);
        return latest;
    }

    /** The named check of the scheduler's readiness; null while readiness does not answer 200. */
    private JsonNode healthCheck(String name) {
        JsonNode health;
        try {
            health = scheduler.getJson("/q/health/ready");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        if (health == null) {
            return null;
        }
        for (JsonNode check : health.path("checks")) {
            if (name.equals(check.path("name").asText())) {
                return check;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    private static void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(kafka.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void awaitCondition(String what, BooleanSupplier done) throws InterruptedException {
        await(what, done::getAsBoolean, Boolean::booleanValue);
    }

    private static <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
    }
}
