package dev.gpufleet.bench;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.localstack.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway with a fleet's routing table: MODELS models with INSTANCES RUNNING instances among them on the compacted
 * topics. The packaged gateway is started twice on the same data: once before anything is on the topics and once
 * after, each timed from process start to ready (ready means its routing table has read both topics to the end), so
 * the difference is the time to rebuild the table; heap used after a full collection, likewise, is the table's
 * memory. Then requests at RATE a second, each naming one of a hot set of models drawn at random (every instance
 * points at the one fake backend), straight to the backend and through the gateway in alternating rounds: the added
 * latency with the table at that size.
 *
 * <p>Args: [models=5000] [instances=20000] [seconds per path=15] [rate=2000] [hot models=100]
 * [gateway dir=gateway/target/quarkus-app]
 */
public final class RoutingScaleBench {
    private static final String PATH = "/v1/chat/completions";
    private static final int ROUNDS = 3;
    private static final int WARM_UP_SECONDS = 20;

    public static void main(String[] args) throws Exception {
        int models = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int instances = args.length > 1 ? Integer.parseInt(args[1]) : 20000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 2000;
        int hot = Math.min(models, args.length > 4 ? Integer.parseInt(args[4]) : 100);
        Path jar = Path.of(args.length > 5 ? args[5] : "gateway/target/quarkus-app").resolve("quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            System.err.println("routing-scale: " + jar + " is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("routing-scale");
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        List<Process> processes = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.throwaway().start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(null, 0)) {
            kafka.createTopics(4);
            String password = UUID.randomUUID().toString();
            postgres.ensureDatabase("gpufleet", "gpufleet", password);
            int backendPort = FreePorts.pick();
            processes.add(GatewayBench.startBackend(backendPort, work));

            Started empty = startAndTime(jar, work, kafka, postgres, password);
            Measured emptyMeasured = measure(empty);
            stop(empty.process());

            long produceStart = System.nanoTime();
            List<String> names = produce(kafka.bootstrapServers(), models, instances, backendPort);
            double produceSeconds = (System.nanoTime() - produceStart) / 1e9;

            Started full = startAndTime(jar, work, kafka, postgres, password);
            processes.add(full.process());
            Measured fullMeasured = measure(full);
            String key = adminKey(work);

            Buffer[] bodies = new Buffer[hot];
            for (int n = 0; n < hot; n++) {
                bodies[n] = Buffer.buffer(body(names.get(n * (models / hot))));
            }
            Random random = new Random(42);
            int[] picks = new int[rate * Math.max(seconds, WARM_UP_SECONDS) + rate];
            Arrays.setAll(picks, i -> random.nextInt(hot));
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true).setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(256));
            GatewayBench.Target direct = new GatewayBench.Target(backendPort, null);
            GatewayBench.Target gateway = new GatewayBench.Target(full.port(), "Bearer " + key);
            System.out.printf("routing-scale: %,d models, %,d instances produced in %.1f s; gateway :%d ready; warming"
                    + " up %d s per path%n", models, instances, produceSeconds, full.port(), WARM_UP_SECONDS);
            GatewayBench.fixedRate(vertx, client, direct, n -> bodies[picks[n]], rate, WARM_UP_SECONDS);
            GatewayBench.fixedRate(vertx, client, gateway, n -> bodies[picks[n]], rate, WARM_UP_SECONDS);
            List<long[]> directRounds = new ArrayList<>();
            List<long[]> gatewayRounds = new ArrayList<>();
            int roundSeconds = Math.max(1, seconds / ROUNDS);
            for (int round = 0; round < ROUNDS; round++) {
                directRounds.add(GatewayBench.fixedRate(vertx, client, direct, n -> bodies[picks[n]], rate,
                        roundSeconds));
                gatewayRounds.add(GatewayBench.fixedRate(vertx, client, gateway, n -> bodies[picks[n]], rate,
                        roundSeconds));
            }
            long rssAfterLoad = FleetBench.rssBytes(full.process().pid());
            long[] d = directRounds.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            long[] g = gatewayRounds.stream().flatMapToLong(Arrays::stream).sorted().toArray();

            System.out.printf("%nThe packaged gateway (-Xms512m -Xmx512m) with %,d models and %,d RUNNING instances on"
                    + " its topics, %d CPUs%n%n", models, instances, Runtime.getRuntime().availableProcessors());
            System.out.println("| routing table | process start to ready s | caught up after the start s (its log)"
                    + " | heap used after full GC MiB | RSS MiB |");
            System.out.println("|---|---|---|---|---|");
            System.out.printf("| empty | %.2f | %.2f | %.1f | %d |%n", empty.readySeconds(), empty.caughtUpSeconds(),
                    emptyMeasured.heapUsedBytes() / 1048576.0, emptyMeasured.rssBytes() >> 20);
            System.out.printf("| %,d models, %,d instances | %.2f | %.2f | %.1f | %d (%d after the load) |%n", models,
                    instances, full.readySeconds(), full.caughtUpSeconds(), fullMeasured.heapUsedBytes() / 1048576.0,
                    fullMeasured.rssBytes() >> 20, rssAfterLoad >> 20);
            System.out.printf("%nTable rebuilt from the topics in about %.2f s (the difference of the catch-ups); it"
                    + " holds about %.1f MiB (%.0f bytes per instance).%n%n",
                    full.caughtUpSeconds() - empty.caughtUpSeconds(),
                    (fullMeasured.heapUsedBytes() - emptyMeasured.heapUsedBytes()) / 1048576.0,
                    (fullMeasured.heapUsedBytes() - emptyMeasured.heapUsedBytes()) / (double) instances);
            System.out.printf("%d req/s for %d s per path in %d alternating rounds, each request naming one of %d"
                    + " models at random:%n%n", rate, roundSeconds * ROUNDS, ROUNDS, hot);
            System.out.println("| path | p50 ms | p90 ms | p99 ms | max ms |");
            System.out.println("|---|---|---|---|---|");
            for (var row : Map.of("direct", d, "gateway", g).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey()).toList()) {
                long[] s = row.getValue();
                System.out.printf("| %s | %.3f | %.3f | %.3f | %.3f |%n", row.getKey(),
                        GatewayBench.ms(GatewayBench.pct(s, 50)), GatewayBench.ms(GatewayBench.pct(s, 90)),
                        GatewayBench.ms(GatewayBench.pct(s, 99)), GatewayBench.ms(s[s.length - 1]));
            }
            double addedP50 = GatewayBench.ms(GatewayBench.pct(g, 50) - GatewayBench.pct(d, 50));
            double addedP99 = GatewayBench.ms(GatewayBench.pct(g, 99) - GatewayBench.pct(d, 99));
            System.out.printf("%nadded p50 %+.3f ms (goal <= 0.3: %s), added p99 %+.3f ms (goal <= 1.5: %s)%n",
                    addedP50, addedP50 <= 0.3 ? "met" : "MISSED", addedP99, addedP99 <= 1.5 ? "met" : "MISSED");
        } finally {
            for (Process p : processes) {
                stop(p);
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        System.out.println("\nlogs: " + work);
    }

    /** @param caughtUpSeconds what the gateway logs: its routing table caught up this long after its start */
    record Started(Process process, int port, double readySeconds, double caughtUpSeconds) {
    }

    record Measured(long heapUsedBytes, long rssBytes) {
    }

    private static Started startAndTime(Path jar, Path work, EmbeddedKafka kafka, EmbeddedPostgresServer postgres,
                                        String password) throws Exception {
        int port = FreePorts.pick();
        long start = System.nanoTime();
        Process gateway = GatewayBench.startGateway(jar, work, kafka, postgres, password, port);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        long deadline = start + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!gateway.isAlive()) {
                throw new IllegalStateException("gateway exited; see " + work.resolve("gateway.log"));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/q/health/ready")).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    double ready = (System.nanoTime() - start) / 1e9;
                    Matcher caughtUp = Pattern.compile("caught up with .* (\\d+) ms after the start")
                            .matcher(Files.readString(work.resolve("gateway.log")));
                    double caughtUpSeconds = Double.NaN;
                    while (caughtUp.find()) {
                        caughtUpSeconds = Long.parseLong(caughtUp.group(1)) / 1000.0;
                    }
                    return new Started(gateway, port, ready, caughtUpSeconds);
                }
            } catch (java.io.IOException notYet) {
                // starting
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("gateway not ready in 180 s; see " + work.resolve("gateway.log"));
    }

    /** Heap used after a full collection (jcmd), and RSS. */
    private static Measured measure(Started started) throws Exception {
        long pid = started.process().pid();
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = Pattern.compile("total \\d+K, used (\\d+)K").matcher(info);
        return new Measured(used.find() ? Long.parseLong(used.group(1)) * 1024 : -1, FleetBench.rssBytes(pid));
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), command).redirectErrorStream(true)
                .start();
        String out;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            out = String.join("\n", r.lines().toList());
        }
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** The models and their instances, spread evenly; returns the models' names in order. */
    private static List<String> produce(String bootstrap, int models, int instances, int backendPort) {
        List<String> names = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            List<String> ids = new ArrayList<>();
            for (int m = 0; m < models; m++) {
                String id = UUID.randomUUID().toString();
                String name = "scale-" + m;
                ids.add(id);
                names.add(name);
                ModelSpec spec = new ModelSpec(name, ModelSource.localPath("/models/" + name + ".gguf"), "llama-box",
                        null, List.of(), Map.of(), Math.max(1, instances / models), List.of("llm"), "spread", true,
                        false, Map.of(), List.of(), true);
                send(producer, Topics.MODELS, Envelope.of(new ModelChanged(id, spec, ModelAnalysis.pending(), null,
                        null), 1, Clock.systemUTC()));
            }
            for (int i = 0; i < instances; i++) {
                int m = i % models;
                String instanceId = UUID.randomUUID().toString();
                send(producer, Topics.INSTANCES, Envelope.of(new InstanceChanged(instanceId, names.get(m) + "-" + i,
                        ids.get(m), names.get(m), "w-" + (i % 2500), "host-" + (i % 2500), List.of(i % 8), List.of(),
                        null, InstanceState.RUNNING, null, "127.0.0.1:" + backendPort, 0, null), 1,
                        Clock.systemUTC()));
            }
            producer.flush();
        }
        return names;
    }

    private static void send(KafkaProducer<String, String> producer, String topic, Envelope<?> event) {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event)));
    }

    private static String adminKey(Path work) throws Exception {
        Path file = work.resolve("gateway-data").resolve("admin-api-key");
        return Files.readAllLines(file).stream().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst()
                .orElseThrow(() -> new IllegalStateException(file + " holds no key"));
    }

    private static String body(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}],"
                + "\"max_tokens\":16,\"temperature\":0}";
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
