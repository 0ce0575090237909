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
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's overhead: the same 1 KB chat completion request sent straight to a fake backend, through the
 * packaged gateway (API key auth, routing table fed from Kafka, usage read from the answer) and through nginx
 * ({@code proxy_pass} with upstream keep-alive), in one run. Three phases: a fixed rate (open loop, latency from the
 * moment each request is handed to the client), peak throughput (closed loop with {@code wrk}) and streaming (time
 * to the first of 100 SSE chunks).
 *
 * <p>Args: [seconds per phase and target=15] [rate=2000] [peak connections=64] [gateway dir=gateway/target/quarkus-app]
 */
public final class GatewayBench {
    private static final String TOKEN = "bench-cluster-token-0123456789abcdef";
    private static final String BACKEND_KEY_SECRET = "bench-backend-key-secret-0123456789abcdef";
    private static final String METRICS_TOKEN = "bench-metrics-token-0123456789abcdef";
    /** The gateway's management interface (its /q/metrics). */
    private static final int MANAGEMENT_PORT = FreePorts.pick();
    private static final String PATH = "/v1/chat/completions";
    private static final String MODEL = "bench-model";
    private static final int STREAMS_IN_FLIGHT = 16;
    private static final int ROUNDS = 3;

    static final int SETTLE_ROUND_SECONDS = 5;
    static final long SETTLED_JIT_MILLIS = 100;
    static final int MAX_SETTLE_ROUNDS = 8;
    /** Phase 1 counts the requests slower than this, and where they lay in time. */
    private static final long SLOW_NANOS = 1_000_000;
    private static final int SLOW_WINDOW_MILLIS = 100;
    /** Phase 3 counts the streams whose first chunk took longer than this (direct's p99 is about 0.6 ms). */
    private static final long SLOW_FIRST_CHUNK_NANOS = 2_000_000;

    /** Closed-loop warm-up per path before anything is measured. */
    static final int WARM_UP_SECONDS = 15;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        Path gatewayDir = Path.of(args.length > 3 ? args[3] : "gateway/target/quarkus-app");
        Path jar = gatewayDir.resolve("quarkus-run.jar");
        require(Files.isRegularFile(jar), jar + " is missing; build first: ./mvnw -B -ntp -q package -DskipTests");
        Path nginxBin = Path.of("/usr/sbin/nginx");
        require(Files.isExecutable(nginxBin), "nginx is missing: apt-get install -y nginx");
        Path wrk = Path.of("/usr/bin/wrk");
        require(Files.isExecutable(wrk), "wrk is missing: apt-get install -y wrk");

        Path work = Files.createTempDirectory("gateway-bench");
        String body = requestBody(false);
        String streamBody = requestBody(true);
        List<Process> processes = new ArrayList<>();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try (EmbeddedKafka kafka = EmbeddedKafka.throwaway().start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(null, 0)) {
            kafka.createTopics(4);
            String password = UUID.randomUUID().toString();
            postgres.ensureDatabase("gpufleet", "gpufleet", password);

            try {
            int backendPort = FreePorts.pick();
            processes.add(startBackend(backendPort, work));
            int gatewayPort = FreePorts.pick();
            processes.add(startGateway(jar, work, kafka, postgres, password, gatewayPort));
            int nginxPort = FreePorts.pick();
            processes.add(startNginx(nginxBin, work, nginxPort, backendPort));
            int floorPort = FreePorts.pick();
            processes.add(startFloor(floorPort, backendPort));

            try (KafkaProducer<String, String> producer = producer(kafka.bootstrapServers())) {
                String modelId = UUID.randomUUID().toString();
                ModelSpec spec = new ModelSpec(MODEL, ModelSource.localPath("/models/bench.gguf"), "llama-box", null,
                        List.of(), Map.of(), 1, List.of("llm"), "spread", true, false, Map.of(), List.of(), true);
                send(producer, Topics.MODELS, Envelope.of(new ModelChanged(modelId, spec, ModelAnalysis.pending(),
                        null, null), 1, Clock.systemUTC()));
                String instanceId = UUID.randomUUID().toString();
                send(producer, Topics.INSTANCES, Envelope.of(new InstanceChanged(instanceId, MODEL + "-0", modelId,
                        MODEL, "w-bench", "bench-host", List.of(0), List.of(), null, InstanceState.RUNNING, null,
                        "127.0.0.1:" + backendPort, 0, null), 1, Clock.systemUTC()));
            }
            String key = awaitGateway(processes.get(1), gatewayPort, work, body);
            System.out.printf("%ngateway bench: backend :%d, gateway :%d, nginx :%d, %d s per phase, %d CPUs%n",
                    backendPort, gatewayPort, nginxPort, seconds, Runtime.getRuntime().availableProcessors());

            Map<String, Target> targets = new LinkedHashMap<>();
            targets.put("direct", new Target(backendPort, null));
            targets.put("gateway", new Target(gatewayPort, "Bearer " + key));
            targets.put("vertx floor", new Target(floorPort, null));
            targets.put("nginx", new Target(nginxPort, null));

            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                    .setTcpNoDelay(true).setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(256));

            Map<String, ProcessHandle> servers = Map.of("direct", processes.get(0).toHandle(),
                    "gateway", processes.get(1).toHandle(), "nginx", processes.get(2).toHandle(),
                    "vertx floor", processes.get(3).toHandle());
            long idleBefore = cpuTicks(servers.get("gateway"));
            Thread.sleep(5_000);
            System.out.printf("gateway idle (no requests, 5 s): %.1f %% of one core%n",
                    (cpuTicks(servers.get("gateway")) - idleBefore) * 10 / 5_000.0 * 100);
            // warm-up: first closed loop (wrk) so that the JITs reach their steady state (a gateway runs for days;
            // on two cores C2 needs some 100,000 requests), then the open-loop client's own paths
            Path lua = work.resolve("post.lua");
            for (var t : targets.entrySet()) {
                writeLua(lua, body, t.getValue().auth());
                // streams at the same time: the JIT then compiles for both shapes of answer at once, as a gateway
                // in service sees them, rather than recompiling at each switch between the phases below
                CompletableFuture<long[][]> streams = CompletableFuture.supplyAsync(() -> {
                    try {
                        return streaming(vertx, client, t.getValue(), streamBody, WARM_UP_SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                runWrk(wrk, lua, t.getValue().port(), connections, WARM_UP_SECONDS);
                streams.get(WARM_UP_SECONDS + 30L, TimeUnit.SECONDS);
            }
            for (Target t : targets.values()) {
                fixedRate(vertx, client, t, body, rate, 5);
                streaming(vertx, client, t, streamBody, 3);
            }
            settle(vertx, client, targets, body, rate, servers.get("gateway"), servers.get("vertx floor"));
            String hold = System.getenv("GATEWAY_BENCH_HOLD");
            if (hold != null && !hold.isBlank()) {
                // for experiments by hand (strace, wrk with other settings): everything is up and warm
                System.out.printf("holding %s s: backend :%d, gateway :%d (pid %d, key in %s), nginx :%d, body %s%n",
                        hold, backendPort, gatewayPort, servers.get("gateway").pid(), work.resolve("key"),
                        nginxPort, lua);
                Files.writeString(work.resolve("key"), key);
                Thread.sleep(Long.parseLong(hold.trim()) * 1000);
            }
            long jitBefore = jitMillis(servers.get("gateway"));
            GcPauses gcBefore = gcPauses(servers.get("gateway"));
            // the load generator shares its JVM with the Kafka broker: its pauses delay every path's answers
            GcPauses generatorGcBefore = gcPauses(ProcessHandle.current());
            GcPauses backendGcBefore = gcPauses(servers.get("direct"));
            // in rounds, so that a burst of other work on the machine does not land on one path only
            Map<String, List<long[]>> rounds = new LinkedHashMap<>();
            Map<String, Double> cpu = new LinkedHashMap<>();
            Map<String, Long> steal = new LinkedHashMap<>();
            // when each round ran, to lay beside a JVM log (-Xlog decorated with time)
            StringBuilder timeline = new StringBuilder();
            for (int round = 0; round < ROUNDS; round++) {
                for (var t : targets.entrySet()) {
                    long cpuBefore = cpuTicks(servers.get(t.getKey()));
                    long stealBefore = hostStealTicks();
                    timeline.append(java.time.Instant.now()).append(' ');
                    long[] n = fixedRate(vertx, client, t.getValue(), body, rate, Math.max(1, seconds / ROUNDS));
                    timeline.append(java.time.Instant.now()).append(' ').append(t.getKey()).append('\n');
                    cpu.merge(t.getKey(), (cpuTicks(servers.get(t.getKey())) - cpuBefore) * 10_000.0 / n.length,
                            Double::sum);  // ticks of 10 ms -> microseconds per request
                    steal.merge(t.getKey(), hostStealTicks() - stealBefore, Long::sum);
                    rounds.computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(n);
                }
            }
            Files.writeString(work.resolve("phase1-timeline.txt"), timeline);
            Map<String, long[]> fixed = new LinkedHashMap<>();
            rounds.forEach((k, v) -> fixed.put(k, v.stream().flatMapToLong(Arrays::stream).sorted().toArray()));
            cpu.replaceAll((k, v) -> v / ROUNDS);
            long jitFixed = jitMillis(servers.get("gateway")) - jitBefore;
            printFixed(rate, seconds, fixed, cpu);
            // the p99 of 30,000 requests moves with a few hundred slow ones: say where they were and what the host
            // took meanwhile, so that a miss can be told from a noisy host
            rounds.forEach((k, v) -> {
                SlowSpread slow = v.stream().map(n -> SlowSpread.of(n, rate, SLOW_NANOS, SLOW_WINDOW_MILLIS))
                        .reduce(SlowSpread::plus).orElseThrow();
                System.out.printf("  %s rounds' p99: %s ms; host steal during them: %d ms; requests over %.0f ms: %d,"
                                + " in %d of %d windows of %d ms (at most %d in one)%n", k,
                        String.join(" / ", v.stream().map(n -> String.format("%.3f",
                                ms(pct(Arrays.stream(n).sorted().toArray(), 99)))).toList()), steal.get(k) * 10,
                        ms(SLOW_NANOS), slow.requests(), slow.windowsWithSlow(), slow.windows(), SLOW_WINDOW_MILLIS,
                        slow.mostInOneWindow());
                writeLatencies(work.resolve("phase1-" + k.replace(' ', '-') + ".txt"), v);
            });
            System.out.printf("gateway JIT compilation during phase 1: %d ms of compiler time%n", jitFixed);
            GcPauses gc = gcPauses(servers.get("gateway")).since(gcBefore);
            System.out.printf("gateway GC pauses during phase 1: %d, %.1f ms in all (%.2f ms on average)%n",
                    gc.collections(), gc.seconds() * 1000, gc.collections() == 0 ? 0 : gc.seconds() * 1000
                            / gc.collections());
            GcPauses generatorGc = gcPauses(ProcessHandle.current()).since(generatorGcBefore);
            GcPauses backendGc = gcPauses(servers.get("direct")).since(backendGcBefore);
            System.out.printf("GC pauses of the load generator's JVM (with the Kafka broker) and of the backend during"
                    + " phase 1: %d, %.1f ms in all; %d, %.1f ms in all%n", generatorGc.collections(),
                    generatorGc.seconds() * 1000, backendGc.collections(), backendGc.seconds() * 1000);
            printOverheadMetric(MANAGEMENT_PORT, METRICS_TOKEN);

            // in interleaved rounds too: nginx's own peak moved by a fifth between runs, so a single run per path let
            // a burst of other work on the machine decide the ratio
            Map<String, List<Peak>> peakRounds = new LinkedHashMap<>();
            Map<String, Double> peakCpu = new LinkedHashMap<>();
            long jitPeak = 0;
            int roundSeconds = Math.max(3, seconds / ROUNDS);
            for (var t : targets.entrySet()) {
                writeLua(lua, body, t.getValue().auth());
                runWrk(wrk, lua, t.getValue().port(), connections, 3);  // warm-up
            }
            for (int round = 0; round < ROUNDS; round++) {
                for (var t : targets.entrySet()) {
                    writeLua(lua, body, t.getValue().auth());
                    boolean gateway = t.getKey().equals("gateway");
                    long cpuBefore = cpuTicks(servers.get(t.getKey()));
                    // the JIT time is reported for the gateway only
                    jitBefore = gateway ? jitMillis(servers.get("gateway")) : 0;
                    boolean profiled = round == 0 && gateway
                            && profiler(servers.get("gateway"), "start,event=cpu,interval=1ms");
                    Peak peak = runWrk(wrk, lua, t.getValue().port(), connections, roundSeconds);
                    if (gateway) {
                        jitPeak += jitMillis(servers.get("gateway")) - jitBefore;
                    }
                    if (profiled) {
                        Path flame = work.resolve("gateway-peak-profile.txt");
                        profiler(servers.get("gateway"), "stop,collapsed,file=" + flame);
                        System.out.println("gateway CPU profile of its first peak round (collapsed stacks): " + flame);
                    }
                    peakRounds.computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(peak);
                    peakCpu.merge(t.getKey(), (cpuTicks(servers.get(t.getKey())) - cpuBefore) * 10_000.0
                            / (peak.requestsPerSecond() * roundSeconds) / ROUNDS, Double::sum);
                }
            }
            Map<String, Peak> peaks = new LinkedHashMap<>();
            peakRounds.forEach((k, v) -> peaks.put(k, Peak.overRounds(v)));
            printPeaks(connections, roundSeconds, peaks, peakCpu);
            peakRounds.forEach((k, v) -> System.out.printf("  %s rounds: %s req/s%n", k, String.join(" / ",
                    v.stream().map(r -> String.format("%.0f", r.requestsPerSecond())).toList())));
            System.out.printf("gateway JIT compilation during its measured run: %d ms of compiler time%n", jitPeak);

            Map<String, long[][]> streams = new LinkedHashMap<>();
            long streamJit = 0;
            GcPauses streamGc = new GcPauses(0, 0);
            for (var t : targets.entrySet()) {
                streaming(vertx, client, t.getValue(), streamBody, 3);
                boolean gateway = t.getKey().equals("gateway");
                long jitStart = gateway ? jitMillis(servers.get("gateway")) : 0;
                GcPauses gcStart = gateway ? gcPauses(servers.get("gateway")) : null;
                streams.put(t.getKey(), streaming(vertx, client, t.getValue(), streamBody, seconds));
                if (gateway) {
                    streamJit = jitMillis(servers.get("gateway")) - jitStart;
                    streamGc = gcPauses(servers.get("gateway")).since(gcStart);
                }
            }
            printStreams(seconds, streams);
            System.out.printf("gateway during its measured streams: %d ms of JIT compiler time; %d GC pauses, %.1f ms in"
                    + " all%n", streamJit, streamGc.collections(), streamGc.seconds() * 1000);
            // the gateway's first-chunk tail has been 1-2 ms above the floor's in 1 % of streams: stalls, or a spread?
            streams.forEach((k, v) -> {
                SlowSpread slow = SlowSpread.timed(v[2], v[3], SLOW_FIRST_CHUNK_NANOS, SLOW_WINDOW_MILLIS);
                System.out.printf("  %s: first chunks over %.0f ms: %d of %d, in %d of %d windows of %d ms (at most %d"
                                + " in one)%n", k, ms(SLOW_FIRST_CHUNK_NANOS), slow.requests(), v[3].length,
                        slow.windowsWithSlow(), slow.windows(), SLOW_WINDOW_MILLIS, slow.mostInOneWindow());
            });
            } finally {
                // before the broker and the database go, so the gateway stops cleanly
                java.util.Collections.reverse(processes);
                for (Process p : processes) {
                    p.destroy();
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    }
                }
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        System.out.println("\nlogs: " + work);
    }

    record Target(int port, String auth) {
    }

    record Peak(double requestsPerSecond, String p50, String p99, long errors) {
        /** Rounds of equal length: their mean rate, the latencies of the median round, every error. */
        static Peak overRounds(List<Peak> rounds) {
            List<Peak> byRate = rounds.stream().sorted(java.util.Comparator.comparingDouble(Peak::requestsPerSecond))
                    .toList();
            Peak median = byRate.get(byRate.size() / 2);
            return new Peak(rounds.stream().mapToDouble(Peak::requestsPerSecond).average().orElse(0), median.p50(),
                    median.p99(), rounds.stream().mapToLong(Peak::errors).sum());
        }
    }

    // ---------------------------------------------------------------------------------------------- load phases

    /**
     * Sends {@code rate} requests a second for {@code seconds}, each handed to the pooled client when due whether or
     * not earlier ones have answered; returns each request's latency in nanoseconds (send to last byte) in the order
     * they were sent, or throws when any failed.
     */
    static long[] fixedRate(Vertx vertx, HttpClient client, Target target, String body, int rate, int seconds)
            throws Exception {
        Buffer payload = Buffer.buffer(body);
        return fixedRate(vertx, client, target, n -> payload, rate, seconds);
    }

    /** As {@link #fixedRate(Vertx, HttpClient, Target, String, int, int)}, the n-th request's body from {@code bodies}. */
    static long[] fixedRate(Vertx vertx, HttpClient client, Target target, java.util.function.IntFunction<Buffer> bodies,
                            int rate, int seconds) throws Exception {
        int total = rate * seconds;
        long[] nanos = new long[total];
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CompletableFuture<Void> finished = new CompletableFuture<>();
        vertx.runOnContext(v -> {
            long start = System.nanoTime();
            int[] sent = {0};
            vertx.setPeriodic(1, id -> {
                long due = Math.min(total, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
                while (sent[0] < due) {
                    int n = sent[0]++;
                    long t0 = System.nanoTime();
                    post(client, target, bodies.apply(n)).onComplete(r -> {
                        nanos[n] = System.nanoTime() - t0;
                        if (r.failed() || r.result() != 200) {
                            failed.incrementAndGet();
                        }
                        if (done.incrementAndGet() == total) {
                            finished.complete(null);
                        }
                    });
                }
                if (sent[0] == total) {
                    vertx.cancelTimer(id);
                }
            });
        });
        finished.get(seconds + 60L, TimeUnit.SECONDS);
        require(failed.get() == 0, failed.get() + " of " + total + " requests to :" + target.port() + " failed");
        return nanos;
    }

    private static Future<Integer> post(HttpClient client, Target target, Buffer payload) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(target.port()).setURI(PATH).putHeader("content-type", "application/json");
        if (target.auth() != null) {
            options.putHeader("authorization", target.auth());
        }
        return client.request(options).compose(req -> req.send(payload))
                .compose(resp -> resp.body().map(b -> resp.statusCode()));
    }

    /**
     * Keeps {@link #STREAMS_IN_FLIGHT} streaming requests going for {@code seconds}; returns the sorted times to the
     * first body chunk and to the end, then each stream's start (since the run began) and time to its first chunk in the
     * order they ended, in nanoseconds.
     */
    static long[][] streaming(Vertx vertx, HttpClient client, Target target, String body, int seconds)
            throws Exception {
        List<Long> first = new ArrayList<>();
        List<Long> whole = new ArrayList<>();
        List<Long> startedAt = new ArrayList<>();
        AtomicLong failed = new AtomicLong();
        long begin = System.nanoTime();
        long end = begin + TimeUnit.SECONDS.toNanos(seconds);
        CompletableFuture<Void> finished = new CompletableFuture<>();
        int[] running = {STREAMS_IN_FLIGHT};
        Buffer payload = Buffer.buffer(body);
        vertx.runOnContext(v -> {
            for (int s = 0; s < STREAMS_IN_FLIGHT; s++) {
                new Object() {
                    void next() {
                        if (System.nanoTime() >= end) {
                            if (--running[0] == 0) {
                                finished.complete(null);
                            }
                            return;
                        }
                        long t0 = System.nanoTime();
                        long[] firstAt = {0};
                        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                                .setHost("127.0.0.1").setPort(target.port()).setURI(PATH)
                                .putHeader("content-type", "application/json");
                        if (target.auth() != null) {
                            options.putHeader("authorization", target.auth());
                        }
                        client.request(options).compose(req -> req.send(payload)).compose(resp -> {
                            Promise<Integer> p = Promise.promise();
                            resp.handler(chunk -> {
                                if (firstAt[0] == 0) {
                                    firstAt[0] = System.nanoTime();
                                }
                            });
                            resp.exceptionHandler(p::tryFail);
                            resp.endHandler(x -> p.tryComplete(resp.statusCode()));
                            return p.future();
                        }).onComplete(r -> {
                            if (r.failed() || r.result() != 200 || firstAt[0] == 0) {
                                failed.incrementAndGet();
                            } else {
                                first.add(firstAt[0] - t0);
                                whole.add(System.nanoTime() - t0);
                                startedAt.add(t0 - begin);
                            }
                            next();
                        });
                    }
                }.next();
            }
        });
        finished.get(seconds + 60L, TimeUnit.SECONDS);
        require(failed.get() == 0, failed.get() + " streams from :" + target.port() + " failed");
        return new long[][]{first.stream().mapToLong(Long::longValue).sorted().toArray(),
                whole.stream().mapToLong(Long::longValue).sorted().toArray(),
                startedAt.stream().mapToLong(Long::longValue).toArray(),
                first.stream().mapToLong(Long::longValue).toArray()};
    }

    private static void writeLua(Path lua, String body, String auth) throws Exception {
        Files.writeString(lua, "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
                + (auth == null ? "" : "wrk.headers[\"Authorization\"] = \"" + auth + "\"\n")
                + "wrk.body = [==[" + body + "]==]\n"
                + "done = function(summary, latency, requests)\n"
                + "  io.write(string.format(\"non2xx %d\\n\", summary.errors.status))\nend\n");
    }

    private static Peak runWrk(Path wrk, Path lua, int port, int connections, int seconds) throws Exception {
        Process p = new ProcessBuilder(wrk.toString(), "-t2", "-c" + connections, "-d" + seconds + "s", "--latency",
                "-s", lua.toString(), "http://127.0.0.1:" + port + PATH).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        require(p.waitFor() == 0, "wrk failed:\n" + out);
        double rps = Double.parseDouble(find(out, "Requests/sec:\\s+([0-9.]+)"));
        long errors = Long.parseLong(find(out, "non2xx (\\d+)"));
        Matcher socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)")
                .matcher(out);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        return new Peak(rps, find(out, "\\n\\s+50%\\s+(\\S+)"), find(out, "\\n\\s+99%\\s+(\\S+)"), errors);
    }

    // ---------------------------------------------------------------------------------------------- tables

    /**
     * The gateway's own view (its overhead timer: request fully read -> leaving for the backend), over every request
     * so far, warm-up and the streaming phase excluded as they have not run yet.
     */
    private static void printOverheadMetric(int managementPort, String metricsToken) throws Exception {
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/q/metrics"))
                .header("authorization", "Bearer " + metricsToken)
                .build(), HttpResponse.BodyHandlers.ofString());
        System.out.println("\ngateway /q/metrics, its own overhead timer (seconds; all requests so far):");
        r.body().lines().filter(l -> l.startsWith("gpufleet_gateway_overhead")).forEach(l -> System.out.println("  " + l));
    }

    /**
     * The JIT compilers' total time in a JVM so far (jstat -compiler: compiled, failed, invalid, time in seconds),
     * in ms; -1 if jstat could not tell (another JDK's perf data, say).
     */
    private static long jitMillis(ProcessHandle jvm) {
        List<String> lines = jstat("-compiler", jvm);
        try {
            return lines.size() < 2 ? -1 : Math.round(Double.parseDouble(lines.get(1).trim().split("\\s+")[3]) * 1000);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /** jstat's output lines for this option and JVM; none when it failed. */
    private static List<String> jstat(String option, ProcessHandle jvm) {
        try {
            Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
            Process p = new ProcessBuilder(jstat.toString(), option, String.valueOf(jvm.pid()))
                    .redirectErrorStream(true).start();
            List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            return p.waitFor() == 0 ? lines : List.of();
        } catch (Exception e) {
            return List.of();
        }
    }

    /**
     * Runs phase 1's own pattern (every path in turn at the fixed rate, {@value #SETTLE_ROUND_SECONDS} s each) until
     * neither JVM proxy's JIT compiled more than {@value #SETTLED_JIT_MILLIS} ms in a whole round, for at most
     * {@value #MAX_SETTLE_ROUNDS} rounds. A gateway in service has run for hours; after the warm-up alone, C2 still
     * compiled 1.3 to 1.7 s during phase 1, a share of the two cores taken from the event loops that showed in the p99
     * at 2,000 req/s. A settle that runs the two JVM proxies back to back settles them in
     * one round, yet C2 then compiled 0.5 to 1.5 s during phase 1: recompiles when a proxy goes from 15 s idle
     * (while the other paths are measured) to 2,000 req/s (the event loop's run loop itself, the buffer writes, the
     * scheduled-task queue; {@code -Xlog:jit+compilation} laid beside phase 1's timeline), which only rounds of phase 1's
     * shape bring about before it.
     */
    private static void settle(Vertx vertx, HttpClient client, Map<String, Target> targets, String body, int rate,
                               ProcessHandle gateway, ProcessHandle floor) throws Exception {
        long started = System.nanoTime();
        for (int round = 1; round <= MAX_SETTLE_ROUNDS; round++) {
            long gatewayBefore = jitMillis(gateway);
            long floorBefore = jitMillis(floor);
            for (Target t : targets.values()) {
                fixedRate(vertx, client, t, body, rate, SETTLE_ROUND_SECONDS);
            }
            long gatewayJit = jitMillis(gateway) - gatewayBefore;
            long floorJit = jitMillis(floor) - floorBefore;
            if (gatewayBefore < 0 || floorBefore < 0
                    || (gatewayJit <= SETTLED_JIT_MILLIS && floorJit <= SETTLED_JIT_MILLIS)) {
                System.out.printf("settled after %d s at %d req/s in phase 1's pattern (JIT in the last round:"
                                + " gateway %d ms, vertx floor %d ms)%n",
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), rate, gatewayJit, floorJit);
                return;
            }
            System.out.printf("  settling: round %d, JIT gateway %d ms, vertx floor %d ms%n", round, gatewayJit,
                    floorJit);
        }
        System.out.printf("not settled after %d s: the JITs still compile; read phase 1's tail with that in mind%n",
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    /** Stop-the-world collections so far and their pause time, from jstat -gc (young, full, concurrent cycles). */
    record GcPauses(long collections, double seconds) {
        GcPauses since(GcPauses before) {
            return new GcPauses(collections - before.collections, seconds - before.seconds);
        }
    }

    private static GcPauses gcPauses(ProcessHandle jvm) {
        List<String> lines = jstat("-gc", jvm);
        try {
            return lines.size() < 2 ? new GcPauses(-1, -1) : gcPauses(lines.get(0), lines.get(1));
        } catch (RuntimeException e) {
            return new GcPauses(-1, -1);
        }
    }

    /** From jstat -gc's header and values: the pauses counted in YGC/YGCT, FGC/FGCT and CGC/CGCT. */
    static GcPauses gcPauses(String header, String values) {
        List<String> names = List.of(header.trim().split("\\s+"));
        String[] numbers = values.trim().split("\\s+");
        long collections = 0;
        double seconds = 0;
        for (String kind : List.of("YGC", "FGC", "CGC")) {
            int count = names.indexOf(kind);
            int time = names.indexOf(kind + "T");
            if (count >= 0 && time >= 0 && count < numbers.length && time < numbers.length
                    && !numbers[count].equals("-")) {
                collections += Long.parseLong(numbers[count]);
                seconds += Double.parseDouble(numbers[time]);
            }
        }
        return new GcPauses(collections, seconds);
    }

    /**
     * With GATEWAY_PROFILER set to async-profiler's libasyncProfiler.so (tools.profiler:async-profiler on Maven
     * Central carries it), loads it into the running gateway with these options (jcmd JVMTI.agent_load); false when
     * not set or it failed.
     */
    private static boolean profiler(ProcessHandle jvm, String options) {
        String library = System.getenv("GATEWAY_PROFILER");
        if (library == null || library.isBlank()) {
            return false;
        }
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(jvm.pid()), "JVMTI.agent_load", library,
                    '"' + options + '"')  // quoted: jcmd would split the options at '='
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0 || !out.contains("return code: 0")) {
                System.err.println("profiler: " + out);
                return false;
            }
            return true;
        } catch (Exception e) {
            System.err.println("profiler: " + e);
            return false;
        }
    }

    /** Where a fixed-rate run's slow requests lay in time: a few stalls, or spread thin over the run. */
    record SlowSpread(int requests, int windowsWithSlow, int windows, int mostInOneWindow) {
        /** @param inSendOrder latencies in nanoseconds, the i-th sent at {@code i / rate} seconds */
        static SlowSpread of(long[] inSendOrder, int rate, long slowNanos, int windowMillis) {
            long[] sentAt = new long[inSendOrder.length];
            for (int i = 0; i < sentAt.length; i++) {
                sentAt[i] = i * 1_000_000_000L / rate;
            }
            return timed(sentAt, inSendOrder, slowNanos, windowMillis);
        }

        /**
         * @param startNanos  when each request started, since the run began
         * @param latencyNanos each one's latency, in the same order
         */
        static SlowSpread timed(long[] startNanos, long[] latencyNanos, long slowNanos, int windowMillis) {
            long window = TimeUnit.MILLISECONDS.toNanos(windowMillis);
            long last = 0;
            for (long start : startNanos) {
                last = Math.max(last, start);
            }
            int[] perWindow = new int[(int) (last / window) + 1];
            int slow = 0;
            for (int i = 0; i < startNanos.length; i++) {
                if (latencyNanos[i] > slowNanos) {
                    slow++;
                    perWindow[(int) (startNanos[i] / window)]++;
                }
            }
            int windowsWithSlow = 0;
            int most = 0;
            for (int n : perWindow) {
                windowsWithSlow += n > 0 ? 1 : 0;
                most = Math.max(most, n);
            }
            return new SlowSpread(slow, windowsWithSlow, startNanos.length == 0 ? 0 : perWindow.length, most);
        }

        SlowSpread plus(SlowSpread other) {
            return new SlowSpread(requests + other.requests, windowsWithSlow + other.windowsWithSlow,
                    windows + other.windows, Math.max(mostInOneWindow, other.mostInOneWindow));
        }
    }

    /** Each round's latencies in microseconds, one a line in the order sent, rounds one after another. */
    private static void writeLatencies(Path file, List<long[]> rounds) {
        StringBuilder text = new StringBuilder();
        for (long[] round : rounds) {
            for (long nanos : round) {
                text.append(nanos / 1000).append('\n');
            }
        }
        try {
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            System.out.println("could not write " + file + ": " + e.getMessage());
        }
    }

    private static long hostStealTicks() {
        try {
            return hostStealTicks(Files.readString(Path.of("/proc/stat")));
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /**
     * Time the hypervisor ran something else while this VM wanted its CPUs: the eighth value of /proc/stat's
     * first line (all CPUs), in clock ticks (10 ms); 0 where the kernel does not report it.
     */
    static long hostStealTicks(String procStat) {
        String first = procStat.lines().findFirst().orElse("");
        String[] f = first.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return 0;
        }
        try {
            return Long.parseLong(f[8]);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** utime + stime of a process and its children (nginx's workers), in clock ticks (10 ms), from /proc. */
    static long cpuTicks(ProcessHandle process) {
        long ticks = 0;
        for (ProcessHandle p : java.util.stream.Stream.concat(java.util.stream.Stream.of(process),
                process.descendants()).toList()) {
            try {
                String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (java.io.IOException gone) {
                // a worker that just exited
            }
        }
        return ticks;
    }

    private static void printFixed(int rate, int seconds, Map<String, long[]> fixed, Map<String, Double> cpu) {
        System.out.printf("%n1) fixed rate %d req/s, %d s per path in 3 interleaved rounds (open loop; latency = request handed to the client ->"
                + " last byte; ms)%n%n", rate, seconds);
        System.out.println("| path | requests | p50 | p90 | p99 | p99.9 | max | added p50 | added p99 |"
                + " server CPU µs/req |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        long[] direct = fixed.get("direct");
        for (var e : fixed.entrySet()) {
            long[] n = e.getValue();
            boolean base = e.getKey().equals("direct");
            System.out.printf("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %s | %.0f |%n", e.getKey(), n.length,
                    ms(pct(n, 50)), ms(pct(n, 90)), ms(pct(n, 99)), ms(pct(n, 99.9)), ms(n[n.length - 1]),
                    base ? "-" : String.format("%+.3f", ms(pct(n, 50) - pct(direct, 50))),
                    base ? "-" : String.format("%+.3f", ms(pct(n, 99) - pct(direct, 99))), cpu.get(e.getKey()));
        }
        System.out.println("\nserver CPU: the serving process's (gateway JVM, nginx master + workers, fake backend)"
                + " user + system time over the phase, per request; proxies' figures exclude the backend's.");
        double addedP50 = ms(pct(fixed.get("gateway"), 50) - pct(direct, 50));
        double addedP99 = ms(pct(fixed.get("gateway"), 99) - pct(direct, 99));
        System.out.printf("%ngateway added p50 %.3f ms (goal <= 0.3: %s), added p99 %.3f ms (goal <= 1.5: %s)%n",
                addedP50, addedP50 <= 0.3 ? "met" : "MISSED", addedP99, addedP99 <= 1.5 ? "met" : "MISSED");
    }

    private static void printPeaks(int connections, int seconds, Map<String, Peak> peaks, Map<String, Double> cpu) {
        System.out.printf("%n2) peak throughput (wrk, 2 threads, %d connections, closed loop, %d interleaved rounds of"
                + " %d s per path; req/s = their mean, latencies = the median round's)%n%n", connections, ROUNDS,
                seconds);
        System.out.println("| path | req/s | p50 | p99 | errors | % of nginx | server CPU µs/req |");
        System.out.println("|---|---|---|---|---|---|---|");
        double nginx = peaks.get("nginx").requestsPerSecond();
        for (var e : peaks.entrySet()) {
            Peak p = e.getValue();
            System.out.printf("| %s | %.0f | %s | %s | %d | %.0f %% | %.0f |%n", e.getKey(), p.requestsPerSecond(),
                    p.p50(), p.p99(), p.errors(), 100 * p.requestsPerSecond() / nginx, cpu.get(e.getKey()));
        }
        double share = peaks.get("gateway").requestsPerSecond() / nginx;
        System.out.printf("%ngateway peak %.0f %% of nginx's (goal >= 80 %%: %s)%n", 100 * share,
                share >= 0.8 ? "met" : "MISSED");
    }

    private static void printStreams(int seconds, Map<String, long[][]> streams) {
        System.out.printf("%n3) streaming: %d streams in flight for %d s, %d SSE chunks each, one a ms after the"
                + " first (ms)%n%n", STREAMS_IN_FLIGHT, seconds, FakeOpenAiBackend.STREAM_CHUNKS);
        System.out.println("| path | streams | first chunk p50 | p99 | added p50 | added p99 | whole stream p50 |"
                + " p99 |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        long[] direct = streams.get("direct")[0];
        for (var e : streams.entrySet()) {
            long[] f = e.getValue()[0];
            long[] w = e.getValue()[1];
            boolean base = e.getKey().equals("direct");
            System.out.printf("| %s | %d | %.3f | %.3f | %s | %s | %.1f | %.1f |%n", e.getKey(), f.length,
                    ms(pct(f, 50)), ms(pct(f, 99)),
                    base ? "-" : String.format("%+.3f", ms(pct(f, 50) - pct(direct, 50))),
                    base ? "-" : String.format("%+.3f", ms(pct(f, 99) - pct(direct, 99))),
                    ms(pct(w, 50)), ms(pct(w, 99)));
        }
    }

    static long pct(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(index, sorted.length - 1))];
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    // ---------------------------------------------------------------------------------------------- processes

    static Process startBackend(int port, Path work) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return announced("fake backend", new ProcessBuilder(java, "-Xmx128m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), FakeOpenAiBackend.class.getName(), String.valueOf(port))
                .redirectErrorStream(true).start());
    }

    /** The Vert.x floor proxy, with the JVM options the gateway gets. */
    private static Process startFloor(int port, int backendPort) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(gatewayJavaOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), VertxFloorProxy.class.getName(),
                String.valueOf(port), String.valueOf(backendPort)));
        return announced("vertx floor proxy", new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private static Process announced(String what, Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening")) {
            p.destroyForcibly();
            throw new IllegalStateException(what + " did not start: " + line);
        }
        Thread drain = new Thread(() -> out.lines().forEach(l -> System.err.println(what + ": " + l)));
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    static Process startGateway(Path jar, Path work, EmbeddedKafka kafka, EmbeddedPostgresServer pg,
                                        String password, int port) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(gatewayJavaOptions());
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway.log").toFile());
        builder.environment().putAll(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "QUARKUS_DATASOURCE_REACTIVE_URL", pg.reactiveUrl("gpufleet"),
                "QUARKUS_DATASOURCE_JDBC_URL", pg.jdbcUrl("gpufleet"),
                "QUARKUS_DATASOURCE_USERNAME", "gpufleet",
                "QUARKUS_DATASOURCE_PASSWORD", password,
                "GPUFLEET_CLUSTER_TOKEN", TOKEN,
                "GPUFLEET_GATEWAY_DATA_DIR", work.resolve("gateway-data").toString(),
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_PORT", String.valueOf(port)));
        builder.environment().putAll(Map.of(
                "GPUFLEET_BACKEND_KEY_SECRET", BACKEND_KEY_SECRET,
                "GPUFLEET_METRICS_TOKEN", METRICS_TOKEN,
                "QUARKUS_MANAGEMENT_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", String.valueOf(MANAGEMENT_PORT)));
        return builder.start();
    }

    /**
     * A fixed 512 MB heap, as a server is run, then GATEWAY_JAVA_OPTS (e.g. -XX:StartFlightRecording=filename=gw.jfr
     * to see where the gateway's CPU goes, or another collector). With only -Xmx, G1 kept the heap at 80 MB and
     * collected every 86 ms at peak; with -Xms as well, every 0.65 s (bench/README.md, gateway).
     */
    private static List<String> gatewayJavaOptions() {
        List<String> options = new ArrayList<>(List.of("-Xms512m", "-Xmx512m"));
        String extra = System.getenv("GATEWAY_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            options.addAll(List.of(extra.trim().split("\\s+")));
        }
        return options;
    }

    /** nginx as a reverse proxy in front of the backend, keep-alive both sides, no access log (the gateway has none). */
    private static Process startNginx(Path nginx, Path work, int port, int backendPort) throws Exception {
        Path dir = Files.createDirectories(work.resolve("nginx"));
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                worker_processes auto;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 4096; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  keepalive_requests 1000000;
                  upstream backend { server 127.0.0.1:%3$d; keepalive 256; keepalive_requests 1000000; }
                  server {
                    listen 127.0.0.1:%2$d;
                    location / {
                      proxy_pass http://backend;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                    }
                  }
                }
                """.formatted(dir, port, backendPort));
        Process p = new ProcessBuilder(nginx.toString(), "-p", dir.toString(), "-c", conf.toString(), "-g",
                "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            require(p.isAlive(), "nginx exited; see " + dir);
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                return p;
            } catch (java.io.IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nginx did not listen in 10 s; see " + dir);
    }

    /** Waits for the gateway's first start (admin key written), then until it routes the model; returns the key. */
    private static String awaitGateway(Process gateway, int port, Path work, String body) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Path keyFile = work.resolve("gateway-data").resolve("admin-api-key");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String last = "not started";
        while (System.nanoTime() < deadline) {
            require(gateway.isAlive(), "gateway exited; see " + work.resolve("gateway.log"));
            try {
                if (Files.isRegularFile(keyFile)) {
                    String key = keyFile(keyFile);
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + PATH)).header("authorization", "Bearer " + key)
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return key;
                    }
                    last = r.statusCode() + " " + r.body();
                }
            } catch (java.io.IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("gateway did not route " + MODEL + " in 120 s (last: " + last + "); see "
                + work.resolve("gateway.log"));
    }

    /** The admin key file may carry comments; the key is its one line that is not one. */
    private static String keyFile(Path file) throws Exception {
        return Files.readAllLines(file).stream().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst()
                .orElseThrow(() -> new IllegalStateException(file + " holds no key"));
    }

    private static String requestBody(boolean stream) {
        String prompt = "Summarise the following text in one sentence. " + "lorem ipsum dolor sit amet ".repeat(33);
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
                + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"max_tokens\":180,\"temperature\":0"
                + (stream ? ",\"stream\":true" : "") + "}";
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    private static void send(KafkaProducer<String, String> producer, String topic, Envelope<?> event) {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event)));
        producer.flush();
    }

    private static String find(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        require(m.find(), "no '" + regex + "' in:\n" + text);
        return m.group(1);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }
}
