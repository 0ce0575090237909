package dev.gpufleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.apache.kafka.clients.producer.KafkaProducer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A burst of deployments: MODELS models of REPLICAS replicas each created at once through the gateway's admin API
 * ({@code POST /api/v1/models}, CONCURRENCY requests in flight) on a fleet of WORKERS simulated agents (the fleet
 * bench's: eight 80 GiB GPUs each, a heartbeat every 5 s, placed instances observed RUNNING and listed), against the
 * embedded stack (registry, scheduler, gateway, Kafka, PostgreSQL as {@code ./gpufleet up} starts them). Reports
 * the time from the first request to the last instance SCHEDULED on {@code gpufleet.instances}, the rate, and
 * whether any GPU holds more claims than its memory (read from the scheduler's instance API afterwards).
 *
 * <p>Args: [models=1000] [replicas=3] [workers=1000] [concurrency=16] [timeout seconds=600]. Run from the
 * repository root after {@code ./mvnw -B -ntp -q package -DskipTests}.
 */
public final class BurstBench {
    private static final long GIB = 1L << 30;
    private static final double GOAL_PER_SECOND = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int models = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int replicas = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int workers = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        Duration timeout = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 600);
        Path root = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(root.resolve("gateway/target/quarkus-app/quarkus-run.jar"))) {
            System.err.println("burst: build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path dir = Files.createTempDirectory("burst-bench");
        Path modelFile = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 1, modelFile);
        LocalStack.Options options = new LocalStack.Options(root, dir.resolve("stack"), FreePorts.pick(),
                FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), Duration.ofSeconds(240),
                Map.of("GPUFLEET_MODELS_LOCAL_ROOTS", dir.toString()));
        System.out.printf("burst: starting the embedded stack in %s ...%n", dir);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try (LocalStack stack = LocalStack.start(options, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
             KafkaProducer<String, String> producer = FleetBench.producer(stack.kafkaBootstrapServers());
             FleetBench.Fleet fleet = new FleetBench.Fleet(producer)) {
            long schedulerPid = stack.components().stream().filter(c -> c.name().equals("scheduler-service"))
                    .mapToLong(LocalStack.Component::pid).findFirst().orElse(-1);
            Set<String> benchModels = ConcurrentHashMap.newKeySet();
            try (Watch watch = new Watch(stack.kafkaBootstrapServers(), fleet, benchModels)) {
                fleet.growTo(workers);
                long registering = System.nanoTime();
                awaitWorkers(http, stack, workers, Duration.ofSeconds(120));
                System.out.printf("burst: %d workers READY after %.1f s; load average %s%n", workers,
                        (System.nanoTime() - registering) / 1e9, loadAverage());
                Thread.sleep(5_000); // one more round of heartbeats, so the burst meets a fleet in its steady state

                String load = loadAverage();
                long cpuBefore = schedulerPid > 0 ? GatewayBench.cpuTicks(ProcessHandle.of(schedulerPid).orElseThrow())
                        : 0;
                long start = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(concurrency);
                List<Future<Integer>> created = new ArrayList<>();
                String source = "{\"type\": \"local_path\", \"path\": \"" + modelFile.toAbsolutePath() + "\"}";
                AtomicLong lastCreated = new AtomicLong();
                for (int n = 0; n < models; n++) {
                    String name = "burst-" + n;
                    created.add(pool.submit(() -> {
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                        URI.create(stack.gatewayUrl() + "/api/v1/models"))
                                .header("Authorization", "Bearer " + stack.adminApiKey())
                                .header("Content-Type", "application/json")
                                .timeout(Duration.ofSeconds(120))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + name + "\", \"source\": "
                                        + source + ", \"replicas\": " + replicas
                                        + ", \"worker_selector\": {\"pool\": \"fleet\"}}"))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() != 201) {
                            throw new IllegalStateException("POST /api/v1/models " + name + ": "
                                    + response.statusCode() + " " + response.body());
                        }
                        benchModels.add(JSON.readTree(response.body()).get("id").asText());
                        lastCreated.accumulateAndGet(System.nanoTime(), Math::max);
                        return response.statusCode();
                    }));
                }
                for (Future<Integer> f : created) {
                    f.get(timeout.toSeconds(), TimeUnit.SECONDS);
                }
                pool.shutdown();
                double createSeconds = (lastCreated.get() - start) / 1e9;
                int expected = models * replicas;
                boolean all = watch.awaitScheduled(expected, timeout);
                long last = watch.lastScheduledAt();
                double seconds = (last - start) / 1e9;
                long cpuAfter = schedulerPid > 0 ? GatewayBench.cpuTicks(ProcessHandle.of(schedulerPid).orElseThrow())
                        : 0;
                int scheduled = watch.scheduled();
                Overcommit check = overcommit(http, stack, benchModels);

                System.out.printf("%nburst: %d models × %d replicas created at once through the gateway (%d requests"
                                + " in flight) on %d simulated workers (%d GPUs of 80 GiB); %d cores, JDK %s%n%n",
                        models, replicas, concurrency, workers, workers * 8,
                        Runtime.getRuntime().availableProcessors(), Runtime.version());
                System.out.println("| instances | SCHEDULED | models created in s | first request → last SCHEDULED s"
                        + " | instances/s | scheduler CPU | GPUs with claims | most claimed on one GPU GiB"
                        + " | GPUs over their memory | load average before | goal ≥ 500/s, none over |");
                System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
                double rate = scheduled / seconds;
                System.out.printf("| %,d | %,d%s | %.1f | %.1f | %.0f | %.0f %% | %,d | %.2f | %d | %s | %s |%n",
                        expected, scheduled, all ? "" : " (timed out)", createSeconds, seconds, rate,
                        (cpuAfter - cpuBefore) / 100.0 / seconds * 100, check.gpusWithClaims(),
                        check.mostClaimed() / (double) GIB, check.over(), load,
                        (all && rate >= GOAL_PER_SECOND ? "rate met" : "rate MISSED") + ", "
                                + (check.over() == 0 && check.instances() == expected ? "none over"
                                : check.over() + " over (" + check.instances() + " instances read)"));
                System.out.printf("%nload average after: %s%n", loadAverage());
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void awaitWorkers(HttpClient http, LocalStack stack, int workers, Duration patience)
            throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        int ready = 0;
        while (System.nanoTime() < deadline) {
            ready = 0;
            for (JsonNode w : pages(http, stack, "/api/v1/workers")) {
                if (w.path("name").asText().startsWith("fleet-") && "READY".equals(w.path("state").asText())) {
                    ready++;
                }
            }
            if (ready >= workers) {
                return;
            }
            Thread.sleep(1_000);
        }
        throw new IllegalStateException("only " + ready + " of " + workers + " workers READY after " + patience);
    }

    record Overcommit(int instances, int gpusWithClaims, long mostClaimed, int over) {
    }

    /** Sums the bench's instances' claims per GPU from the scheduler's API; each GPU has 80 GiB. */
    private static Overcommit overcommit(HttpClient http, LocalStack stack, Set<String> models) throws Exception {
        Map<String, Long> perGpu = new HashMap<>();
        int instances = 0;
        for (JsonNode i : pages(http, stack, "/api/v1/instances")) {
            if (!models.contains(i.path("model_id").asText()) || i.path("worker_id").isNull()) {
                continue;
            }
            instances++;
            String worker = i.path("worker_id").asText();
            i.path("claim").path("vram_bytes_by_gpu").fields().forEachRemaining(gpu ->
                    perGpu.merge(worker + "/" + gpu.getKey(), gpu.getValue().asLong(), Long::sum));
        }
        long most = perGpu.values().stream().mapToLong(Long::longValue).max().orElse(0);
        int over = (int) perGpu.values().stream().filter(bytes -> bytes > 80 * GIB).count();
        return new Overcommit(instances, perGpu.size(), most, over);
    }

    private static List<JsonNode> pages(HttpClient http, LocalStack stack, String path) throws Exception {
        List<JsonNode> items = new ArrayList<>();
        for (int page = 1; ; page++) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(stack.schedulerUrl() + path
                            + "?per_page=500&page=" + page)).header("Authorization", "Bearer " + stack.clusterToken())
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " " + response.body());
            }
            JsonNode body = JSON.readTree(response.body());
            body.path("items").forEach(items::add);
            if (page >= body.path("pagination").path("total_pages").asInt()) {
                return items;
            }
        }
    }

    /** When each bench instance was SCHEDULED, playing the agents' part meanwhile ({@link FleetBench.PlacementFeed}). */
    static final class Watch implements AutoCloseable {
        private final Map<String, Long> scheduledAt = new ConcurrentHashMap<>();
        private final Set<String> models;
        private final FleetBench.PlacementFeed feed;

        Watch(String bootstrap, FleetBench.Fleet fleet, Set<String> models) {
            this.models = models;
            // the model's id is known once its POST answered, which may come after its placement
            feed = new FleetBench.PlacementFeed(bootstrap, fleet, "burst-bench",
                    c -> scheduledAt.putIfAbsent(c.instanceId() + " " + c.modelId(), System.nanoTime()));
        }

        int scheduled() {
            return (int) scheduledAt.keySet().stream().filter(k -> models.contains(k.substring(k.indexOf(' ') + 1)))
                    .count();
        }

        long lastScheduledAt() {
            return scheduledAt.entrySet().stream().filter(e -> models.contains(e.getKey()
                    .substring(e.getKey().indexOf(' ') + 1))).mapToLong(Map.Entry::getValue).max().orElse(0);
        }

        boolean awaitScheduled(int expected, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (scheduled() >= expected) {
                    return true;
                }
                Thread.sleep(100);
            }
            return false;
        }

        @Override
        public void close() throws InterruptedException {
            feed.close();
        }
    }

    private static String loadAverage() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
