package dev.gpufleet.bench;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The control plane at fleet size: N simulated agents (many in this JVM, each with its own id, eight 80 GiB GPUs and
 * a heartbeat every 5 s at its own phase, listing the instances placed on it as RUNNING and repeating the
 * observation it sent about each) against the packaged scheduler, a real Kafka broker and a real PostgreSQL. Fleet
 * sizes are run one after another on the same stack, the fleet growing; at each, models are created at a steady
 * rate and the stage runs for a fixed time.
 *
 * <p>Per size it reports: heartbeat-to-applied lag (from the record's send to the scheduler's {@code updated_at} of
 * the worker row at that heartbeat's sequence, both on this host's clock; rows are sampled each second, so a
 * heartbeat overwritten before a sample is not counted), the scheduler process's CPU (share of one core) and RSS,
 * PostgreSQL's commits and rows written per second in the scheduler's database, and create → SCHEDULED for the
 * models created meanwhile (ModelChanged produced → the first InstanceChanged SCHEDULED consumed).
 *
 * <p>Args: [sizes=1000,3000,10000] [seconds per size=120] [models per second=2]
 * [scheduler jar=scheduler-service/target/quarkus-app/quarkus-run.jar] [scheduler heap=1g]
 */
public final class FleetBench {
    private static final long GIB = 1L << 30;
    private static final int INTERVAL_SECONDS = 5;
    private static final int GPUS_PER_WORKER = 8;
    private static final double LAG_GOAL_MS = 1000;
    private static final double SCHEDULE_GOAL_MS = 200;

    public static void main(String[] args) throws Exception {
        int[] sizes = Arrays.stream((args.length > 0 ? args[0] : "1000,3000,10000").split(","))
                .mapToInt(Integer::parseInt).toArray();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        double modelsPerSecond = args.length > 2 ? Double.parseDouble(args[2]) : 2;
        Path jar = Path.of(args.length > 3 ? args[3] : "scheduler-service/target/quarkus-app/quarkus-run.jar");
        String heap = args.length > 4 ? args[4] : "1g";
        if (!Files.isRegularFile(jar)) {
            System.err.println("fleet: " + jar + " is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path workDir = Files.createTempDirectory("fleet-bench");
        List<Row> rows = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.throwaway().start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(null, 0)) {
            kafka.createTopics(8);
            String password = UUID.randomUUID().toString();
            postgres.ensureDatabase("gpufleet", "gpufleet", password);
            int port = FreePorts.pick();
            Process scheduler = ScheduleLatencyBench.startScheduler(jar, heap, workDir, kafka, postgres, password,
                    port);
            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers());
                 Fleet fleet = new Fleet(producer);
                 InstanceWatch watch = new InstanceWatch(kafka.bootstrapServers(), fleet);
                 Connection db = DriverManager.getConnection(postgres.jdbcUrl("gpufleet"), "gpufleet", password)) {
                ScheduleLatencyBench.awaitReady(scheduler, port, workDir);
                System.out.printf("fleet: scheduler pid %d (heap %s), log %s%n", scheduler.pid(), heap,
                        workDir.resolve("scheduler.log"));
                for (int size : sizes) {
                    fleet.growTo(size);
                    // the new workers' first heartbeats register them: let that settle before measuring
                    Thread.sleep(TimeUnit.SECONDS.toMillis(2L * INTERVAL_SECONDS));
                    rows.add(stage(size, seconds, modelsPerSecond, scheduler, producer, fleet, watch, db));
                    System.out.println(rows.get(rows.size() - 1).line());
                }
            } finally {
                scheduler.destroy();
                if (!scheduler.waitFor(20, TimeUnit.SECONDS)) {
                    scheduler.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        print(rows, seconds, modelsPerSecond, heap);
    }

    private static Row stage(int size, int seconds, double modelsPerSecond, Process scheduler,
                             KafkaProducer<String, String> producer, Fleet fleet, InstanceWatch watch, Connection db)
            throws Exception {
        LagSampler lag = new LagSampler(fleet);
        long cpuBefore = GatewayBench.cpuTicks(scheduler.toHandle());
        long[] pgBefore = pgWrites(db);
        long heartbeatsBefore = fleet.sent.get();
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        long nextModel = start;
        long nextSample = start;
        long rssMax = 0;
        List<String> models = new ArrayList<>();
        Map<String, Long> createdAt = new ConcurrentHashMap<>();
        long gap = (long) (TimeUnit.SECONDS.toNanos(1) / modelsPerSecond);
        while (System.nanoTime() < end) {
            long now = System.nanoTime();
            if (now >= nextModel) {
                String modelId = UUID.randomUUID().toString();
                createdAt.put(modelId, now);
                models.add(modelId);
                createModel(producer, modelId, "fleet-" + size + "-" + models.size());
                nextModel += gap;
            }
            if (now >= nextSample) {
                lag.sample(db);
                rssMax = Math.max(rssMax, rssBytes(scheduler.pid()));
                nextSample += TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(nextModel, nextSample) - System.nanoTime())));
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpuAfter = GatewayBench.cpuTicks(scheduler.toHandle());
        long[] pgAfter = pgWrites(db);
        long heartbeats = fleet.sent.get() - heartbeatsBefore;
        // models created near the end get up to 30 s to be placed
        List<Double> scheduleMs = new ArrayList<>();
        int unplaced = 0;
        for (String modelId : models) {
            Long at = watch.awaitScheduled(modelId, Duration.ofSeconds(30));
            if (at == null) {
                unplaced++;
            } else {
                scheduleMs.add((at - createdAt.get(modelId)) / 1e6);
            }
        }
        Collections.sort(scheduleMs);
        List<Double> lags = lag.lagsMs();
        Collections.sort(lags);
        return new Row(size, heartbeats / elapsed, lags.size(), pct(lags, 50), pct(lags, 99), max(lags),
                (cpuAfter - cpuBefore) / 100.0 / elapsed * 100, rssMax,
                (pgAfter[0] - pgBefore[0]) / elapsed, (pgAfter[1] - pgBefore[1]) / elapsed, models.size(), unplaced,
                pct(scheduleMs, 50), pct(scheduleMs, 99));
    }

    record Row(int workers, double heartbeatsPerSecond, int lagSamples, double lagP50, double lagP99, double lagMax,
               double cpuPercent, long rssBytes, double commitsPerSecond, double rowsPerSecond, int models,
               int unplaced, double scheduleP50, double scheduleP99) {
        String line() {
            return String.format("| %,d | %,d | %.0f | %,d | %.1f | %.1f | %.1f | %.0f %% | %d | %.0f | %.0f | %d%s"
                            + " | %.1f | %.1f | %s |",
                    workers, workers * GPUS_PER_WORKER, heartbeatsPerSecond, lagSamples, lagP50, lagP99, lagMax,
                    cpuPercent, rssBytes >> 20, commitsPerSecond, rowsPerSecond, models,
                    unplaced > 0 ? " (" + unplaced + " not placed in 30 s)" : "", scheduleP50, scheduleP99,
                    (lagP99 < LAG_GOAL_MS ? "lag met" : "lag MISSED") + ", "
                            + (scheduleP99 < SCHEDULE_GOAL_MS && unplaced == 0 ? "placement met"
                            : "placement MISSED"));
        }
    }

    private static void print(List<Row> rows, int seconds, double modelsPerSecond, String heap) {
        System.out.printf("%nThe packaged scheduler (heap %s) with simulated workers (%d GPUs each, a heartbeat every"
                        + " %d s, instances listed) for %d s per fleet size, %.1f models created per second; %d"
                        + " cores, Kafka and PostgreSQL on this host%n%n", heap, GPUS_PER_WORKER, INTERVAL_SECONDS,
                seconds, modelsPerSecond, Runtime.getRuntime().availableProcessors());
        System.out.println("| workers | GPUs | heartbeats/s | lag samples | lag p50 ms | lag p99 ms | lag max ms"
                + " | scheduler CPU | scheduler RSS MiB | PG commits/s | PG rows written/s | models created"
                + " | create→SCHEDULED p50 ms | p99 ms | goals (lag p99 < 1 s, p99 < 200 ms) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        rows.forEach(r -> System.out.println(r.line()));
    }

    private static void createModel(KafkaProducer<String, String> producer, String modelId, String name) {
        ModelSpec spec = new ModelSpec(name, ModelSource.localPath("/models/" + name + ".gguf"), "llama-box", null,
                List.of(), Map.of(), 1, List.of("llm"), "spread", true, false, Map.of("pool", "fleet"), List.of(),
                true);
        ModelChanged changed = new ModelChanged(modelId, spec, ModelAnalysis.pending(),
                new ResourceEstimate(GIB / 2, 4 * GIB), null);
        producer.send(new ProducerRecord<>(Topics.MODELS, modelId,
                EventCodec.encode(Envelope.of(changed, 1, Clock.systemUTC()))));
    }

    /** The simulated agents: each heartbeats every interval at its own phase and reports what was placed on it. */
    static final class Fleet implements AutoCloseable {
        private final KafkaProducer<String, String> producer;
        private final List<SimulatedWorker> workers = new CopyOnWriteArrayList<>();
        private final Map<String, SimulatedWorker> byId = new ConcurrentHashMap<>();
        private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
        final AtomicLong sent = new AtomicLong();
        /** Send time (epoch ms) by worker id and heartbeat sequence, for the lag. */
        final Map<String, Map<Long, Long>> sentAt = new ConcurrentHashMap<>();

        Fleet(KafkaProducer<String, String> producer) {
            this.producer = producer;
        }

        void growTo(int size) {
            int first = workers.size();
            for (int n = first; n < size; n++) {
                SimulatedWorker worker = new SimulatedWorker(UUID.randomUUID().toString(), "fleet-" + n,
                        "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255));
                workers.add(worker);
                byId.put(worker.id, worker);
                long phase = (long) ((n - first) * (INTERVAL_SECONDS * 1000.0 / Math.max(1, size - first)));
                timer.scheduleAtFixedRate(() -> beat(worker), phase, INTERVAL_SECONDS * 1000L,
                        TimeUnit.MILLISECONDS);
            }
        }

        SimulatedWorker worker(String id) {
            return byId.get(id);
        }

        private void beat(SimulatedWorker worker) {
            try {
                long sequence = worker.sequence.incrementAndGet();
                WorkerReported report = new WorkerReported(worker.id, worker.name, worker.address, 10150, "linux",
                        "amd64", Map.of("pool", "fleet"), 64, 10.0, 1024 * GIB, 64 * GIB, worker.gpus,
                        WorkerState.READY, null, List.copyOf(worker.instances.values()), INTERVAL_SECONDS,
                        worker.runId, sequence);
                sentAt.computeIfAbsent(worker.id, id -> new ConcurrentHashMap<>())
                        .put(sequence, System.currentTimeMillis());
                producer.send(new ProducerRecord<>(Topics.WORKERS, worker.id,
                        EventCodec.encode(Envelope.of(report, worker.revision.incrementAndGet(), Clock.systemUTC()))));
                sent.incrementAndGet();
            } catch (RuntimeException e) {
                System.err.println("fleet: heartbeat of " + worker.name + " not sent: " + e);
            }
        }

        /** The agent's side of a placement: observe the instance RUNNING and list it from then on. */
        void placed(SimulatedWorker worker, InstanceChanged changed) {
            if (worker.instances.containsKey(changed.instanceId())) {
                return;
            }
            long revision = worker.observationRevision.incrementAndGet();
            InstanceObserved observed = new InstanceObserved(changed.instanceId(), worker.id, InstanceState.RUNNING,
                    null, 40000 + worker.instances.size(), 1000L + revision, null, changed.restartCount(), null);
            worker.instances.put(changed.instanceId(), ObservedInstance.repeating(observed, revision));
            producer.send(new ProducerRecord<>(Topics.INSTANCE_STATUS, changed.instanceId(),
                    EventCodec.encode(Envelope.of(observed, revision, Clock.systemUTC()))));
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

    static final class SimulatedWorker {
        final String id;
        final String name;
        final String address;
        final String runId = UUID.randomUUID().toString();
        final AtomicLong sequence = new AtomicLong();
        final AtomicLong revision = new AtomicLong();
        final AtomicLong observationRevision = new AtomicLong();
        final List<GpuDevice> gpus;
        final Map<String, ObservedInstance> instances = new ConcurrentHashMap<>();

        SimulatedWorker(String id, String name, String address) {
            this.id = id;
            this.name = name;
            this.address = address;
            List<GpuDevice> devices = new ArrayList<>();
            for (int i = 0; i < GPUS_PER_WORKER; i++) {
                devices.add(new GpuDevice(i, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-" + id + "-" + i,
                        80 * GIB, GIB / 2, 0));
            }
            this.gpus = List.copyOf(devices);
        }
    }

    /** Samples the worker rows: each (worker, sequence) seen for the first time gives one lag. */
    static final class LagSampler {
        private final Fleet fleet;
        private final Map<String, Long> seenSequence = new ConcurrentHashMap<>();
        private final List<Double> lags = new ArrayList<>();

        LagSampler(Fleet fleet) {
            this.fleet = fleet;
        }

        void sample(Connection db) throws Exception {
            try (Statement s = db.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, heartbeat_sequence, updated_at FROM scheduler.worker")) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    long sequence = rs.getLong(2);
                    Timestamp updated = rs.getTimestamp(3);
                    Long before = seenSequence.put(id, sequence);
                    if (before == null || before == sequence || updated == null) {
                        continue; // the first sample of a stage only sets where each worker stands
                    }
                    Map<Long, Long> sent = fleet.sentAt.get(id);
                    Long at = sent == null ? null : sent.remove(sequence);
                    if (at != null) {
                        lags.add((double) (updated.getTime() - at) + (updated.getNanos() % 1_000_000) / 1e6);
                    }
                }
            }
            // forget sends older than a minute: their rows were overwritten before a sample saw them
            long old = System.currentTimeMillis() - 60_000;
            fleet.sentAt.values().forEach(m -> m.values().removeIf(t -> t < old));
        }

        List<Double> lagsMs() {
            return new ArrayList<>(lags);
        }
    }

    /**
     * Reads gpufleet.instances and plays the agents' part for placements: each SCHEDULED instance with a worker is
     * handed to {@code onScheduled} (first, so its time is taken before anything else) and then to its simulated
     * worker. Shared by the fleet and burst benches.
     */
    static final class PlacementFeed implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        PlacementFeed(String bootstrap, Fleet fleet, String name,
                      java.util.function.Consumer<InstanceChanged> onScheduled) {
            KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, name + "-" + UUID.randomUUID(),
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
                            if (!(e.payload() instanceof InstanceChanged c) || c.workerId() == null
                                    || c.state() != InstanceState.SCHEDULED) {
                                continue;
                            }
                            onScheduled.accept(c);
                            SimulatedWorker worker = fleet.worker(c.workerId());
                            if (worker != null) {
                                fleet.placed(worker, c);
                            }
                        }
                    }
                }
            }, name + "-instances");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
        }
    }

    /** Notes when each model was first SCHEDULED, playing the agents' part meanwhile ({@link PlacementFeed}). */
    static final class InstanceWatch implements AutoCloseable {
        private final Map<String, Long> scheduledAt = new ConcurrentHashMap<>();
        private final PlacementFeed feed;

        InstanceWatch(String bootstrap, Fleet fleet) {
            feed = new PlacementFeed(bootstrap, fleet, "fleet-bench", c -> {
                scheduledAt.putIfAbsent(c.modelId(), System.nanoTime());
                synchronized (this) {
                    notifyAll();
                }
            });
        }

        synchronized Long awaitScheduled(String modelId, Duration timeout) throws InterruptedException {
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
            feed.close();
        }
    }

    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception ignored) {
            // gone
        }
        return 0;
    }

    /** Commits, and rows inserted + updated + deleted, in the scheduler's database so far. */
    private static long[] pgWrites(Connection db) throws Exception {
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT xact_commit, tup_inserted + tup_updated + tup_deleted"
                     + " FROM pg_stat_database WHERE datname = current_database()")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    private static double pct(List<Double> sorted, int p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
    }

    private static double max(List<Double> sorted) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "none",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }
}
