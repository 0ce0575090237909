package dev.gpufleet.bench;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.localstack.FreePorts;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scheduler's end-to-end latency: the time from producing a ModelChanged on gpufleet.models to seeing the model's
 * InstanceChanged SCHEDULED on gpufleet.instances, through the packaged scheduler (a separate process), a real
 * Kafka broker and a real PostgreSQL, with simulated workers heartbeating. Models are created one at a time, so
 * the numbers are latency, not queueing.
 *
 * <p>Args: [models=200] [workers=50] [scheduler jar=scheduler-service/target/quarkus-app/quarkus-run.jar]
 */
public final class ScheduleLatencyBench {
    private static final String TOKEN = "bench-cluster-token-0123456789abcdef";
    private static final long GIB = 1L << 30;
    private static final int WARMUP = 30;

    public static void main(String[] args) throws Exception {
        int models = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int workerCount = args.length > 1 ? Integer.parseInt(args[1]) : 50;
        Path jar = Path.of(args.length > 2 ? args[2] : "scheduler-service/target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            System.err.println("schedule-latency: " + jar + " is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path workDir = Files.createTempDirectory("schedule-latency");
        try (EmbeddedKafka kafka = EmbeddedKafka.throwaway().start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(null, 0)) {
            kafka.createTopics(4);
            String password = UUID.randomUUID().toString();
            postgres.ensureDatabase("gpufleet", "gpufleet", password);
            int port = FreePorts.pick();
            Process scheduler = startScheduler(jar, "512m", workDir, kafka, postgres, password, port);
            ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor();
            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers());
                 SeenScheduled seen = new SeenScheduled(kafka.bootstrapServers())) {
                awaitReady(scheduler, port, workDir);
                AtomicLong revision = new AtomicLong();
                List<WorkerReported> workers = new ArrayList<>();
                for (int n = 0; n < workerCount; n++) {
                    workers.add(new WorkerReported(UUID.randomUUID().toString(), "bench-" + n, "10.8." + (n / 250)
                            + "." + (n % 250), 10150, "linux", "amd64", Map.of("pool", "bench"), 64, 5.0, 1024 * GIB,
                            2 * GIB, List.of(), WorkerState.READY, null, List.of(), 5));
                }
                heartbeats.scheduleAtFixedRate(() -> {
                    long r = revision.incrementAndGet();
                    workers.forEach(w -> send(producer, Topics.WORKERS, Envelope.of(w, r, Clock.systemUTC())));
                }, 0, 1, TimeUnit.SECONDS);

                measure(producer, seen, WARMUP, "warm-");
                List<Long> micros = measure(producer, seen, models, "bench-");
                print(models, workerCount, micros);
            } finally {
                heartbeats.shutdownNow();
                scheduler.destroy();
                if (!scheduler.waitFor(20, TimeUnit.SECONDS)) {
                    scheduler.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    private static List<Long> measure(KafkaProducer<String, String> producer, SeenScheduled seen, int count,
                                      String prefix) throws InterruptedException {
        List<Long> micros = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            String modelId = UUID.randomUUID().toString();
            ModelSpec spec = new ModelSpec(prefix + n, ModelSource.localPath("/models/" + prefix + n + ".gguf"),
                    "llama-box", null, List.of(), Map.of(), 1, List.of("llm"), "spread", true, false,
                    Map.of("pool", "bench"), List.of(), true);
            ModelChanged changed = new ModelChanged(modelId, spec, ModelAnalysis.pending(),
                    new ResourceEstimate(GIB / 4, 0), null);
            long sentAt = System.nanoTime();
            send(producer, Topics.MODELS, Envelope.of(changed, 1, Clock.systemUTC()));
            Long at = seen.await(modelId, Duration.ofSeconds(30));
            if (at == null) {
                throw new IllegalStateException("model " + prefix + n + " was not SCHEDULED within 30 s");
            }
            micros.add(TimeUnit.NANOSECONDS.toMicros(at - sentAt));
        }
        return micros;
    }

    private static void print(int models, int workers, List<Long> micros) {
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        System.out.printf("%nModelChanged produced -> InstanceChanged SCHEDULED consumed (%d models one at a time, %d"
                + " workers heartbeating every 1 s, after %d warm-up models)%n%n", models, workers, WARMUP);
        System.out.println("| models | workers | p50 ms | p90 ms | p99 ms | max ms | goal p99 |");
        System.out.println("|---|---|---|---|---|---|---|");
        System.out.printf("| %d | %d | %.1f | %.1f | %.1f | %.1f | < 200 ms %s |%n", models, workers,
                pct(sorted, 50), pct(sorted, 90), pct(sorted, 99), sorted.get(sorted.size() - 1) / 1000.0,
                pct(sorted, 99) < 200 ? "(met)" : "(MISSED)");
    }

    private static double pct(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1))) / 1000.0;
    }

    /** The packaged scheduler with heap {@code heap} (e.g. 512m), its INFO lines off, logging to scheduler.log. */
    static Process startScheduler(Path jar, String heap, Path workDir, EmbeddedKafka kafka, EmbeddedPostgresServer pg,
                                  String password, int port) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx" + heap, "-jar", jar.toAbsolutePath().toString())
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve("scheduler.log").toFile());
        builder.environment().putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_DATASOURCE_REACTIVE_URL", pg.reactiveUrl("gpufleet"),
                "QUARKUS_DATASOURCE_JDBC_URL", pg.jdbcUrl("gpufleet"),
                "QUARKUS_DATASOURCE_USERNAME", "gpufleet",
                "QUARKUS_DATASOURCE_PASSWORD", password,
                "GPUFLEET_CLUSTER_TOKEN", TOKEN,
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_PORT", String.valueOf(port),
                // the per-instance INFO lines are not what is measured
                "QUARKUS_LOG_CATEGORY__DEV_GPUFLEET__LEVEL", "WARN"));
        builder.environment().putAll(Map.of(
                "GPUFLEET_METRICS_TOKEN", "bench-metrics-token-0123456789abcdef",
                "QUARKUS_MANAGEMENT_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", "0"));
        return builder.start();
    }

    static void awaitReady(Process scheduler, int port, Path workDir) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!scheduler.isAlive()) {
                throw new IllegalStateException("scheduler exited; see " + workDir.resolve("scheduler.log"));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("scheduler not ready in 90 s; see " + workDir.resolve("scheduler.log"));
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    private static void send(KafkaProducer<String, String> producer, String topic, Envelope<?> event) {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event)));
        producer.flush();
    }

    /** Reads gpufleet.instances on its own thread and notes when each model's first SCHEDULED arrived. */
    private static final class SeenScheduled implements AutoCloseable {
        private final Map<String, Long> scheduledAt = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        SeenScheduled(String bootstrap) {
            KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "schedule-latency-" + UUID.randomUUID(),
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5,
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
            consumer.subscribe(List.of(Topics.INSTANCES));
            thread = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                            if (r.value() == null) {
                                continue;
                            }
                            Envelope<EventPayload> e;
                            try {
                                e = EventCodec.decode(r.value());
                            } catch (MalformedEventException bad) {
                                continue;
                            }
                            if (e.payload() instanceof InstanceChanged c && c.state() == InstanceState.SCHEDULED) {
                                long now = System.nanoTime();
                                scheduledAt.putIfAbsent(c.modelId(), now);
                                synchronized (this) {
                                    notifyAll();
                                }
                            }
                        }
                    }
                }
            }, "schedule-latency-consumer");
            thread.setDaemon(true);
            thread.start();
        }

        synchronized Long await(String modelId, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!scheduledAt.containsKey(modelId)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return null;
                }
                wait(Math.min(left, 100));
            }
            return scheduledAt.get(modelId);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }
}
