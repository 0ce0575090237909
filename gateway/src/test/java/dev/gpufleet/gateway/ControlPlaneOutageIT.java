package dev.gpufleet.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.localstack.FreePorts;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
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
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway under control-plane faults, for real: the packaged gateway, Kafka ({@code KafkaMain}) and PostgreSQL
 * ({@code PostgresMain}) each run as processes of their own, and a fault is a SIGSTOP of the broker's process or of
 * every PostgreSQL server process, later a SIGCONT. A stand-in backend (a real HTTP server in this JVM) answers
 * chats with their usage. In order: a gateway started while the broker is paused answers 503 with Retry-After (not
 * 404) and is not ready until it has read the topics, then routes; with the broker paused later it stays ready and
 * routes; with PostgreSQL paused past the key cache's TTL a known key keeps working, a new key, a key change and a
 * forwarded admin change get 503 with Retry-After promptly, and every request's usage is in {@code /api/v1/usage}
 * once PostgreSQL is back, none lost and none twice.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneOutageIT {
    private static final String TOKEN = "it-cluster-token-0123456789abcdef";
    private static final String DATABASE = "gpufleet";
    private static final String USER = "gpufleet";
    private static final Duration KEY_CACHE_TTL = Duration.ofSeconds(2);
    private static final Duration DATABASE_TIMEOUT = Duration.ofSeconds(1);
    /** A request that waits longer than this for the gateway hangs, as far as these tests are concerned. */
    private static final Duration PROMPT = Duration.ofSeconds(4);
    private static final String MODEL = "outage-model";
    private static final int PROMPT_TOKENS = 7;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path workDir;
    private static final List<Path> logs = new ArrayList<>();
    private static Process kafka;
    private static Process postgres;
    private static Path postgresData;
    private static String bootstrap;
    private static int postgresPort;
    private static String dbPassword;
    private static HttpServer backend;
    private static final AtomicInteger backendCalls = new AtomicInteger();
    private static Process gateway;
    private static int gatewayPort;
    private static String adminKey;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @BeforeAll
    static void startKafkaPostgresAndBackend() throws Exception {
        workDir = Path.of(System.getProperty("gateway.it.dir", "target/it")).toAbsolutePath()
                .resolve("outage-" + UUID.randomUUID());
        Files.createDirectories(workDir);
        int kafkaPort = FreePorts.pick();
        bootstrap = "127.0.0.1:" + kafkaPort;
        kafka = startJava("kafka", "dev.gpufleet.localstack.launcher.KafkaMain", Map.of(),
                workDir.resolve("kafka").toString(), String.valueOf(kafkaPort), String.valueOf(FreePorts.pick()));
        postgresPort = FreePorts.pick();
        postgresData = workDir.resolve("postgres");
        dbPassword = UUID.randomUUID().toString();
        postgres = startJava("postgres", "dev.gpufleet.localstack.launcher.PostgresMain",
                Map.of("GPUFLEET_DB_PASSWORD", dbPassword), postgresData.toString(), String.valueOf(postgresPort),
                DATABASE, USER);
        awaitLog(kafka, workDir.resolve("kafka.log"), "gpufleet: kafka ready", Duration.ofSeconds(120));
        awaitLog(postgres, workDir.resolve("postgres.log"), "gpufleet: postgres ready", Duration.ofSeconds(120));

        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", ControlPlaneOutageIT::answer);
        backend.start();

        String modelId = UUID.randomUUID().toString();
        publish(Topics.MODELS, Events.modelChanged(modelId, MODEL, 1, 0));
        publish(Topics.INSTANCES, Events.instanceChanged(modelId + "-i0", modelId, InstanceState.RUNNING,
                "127.0.0.1:" + backend.getAddress().getPort(), 1));
    }

    @AfterAll
    static void stopEverything() {
        // a stopped process cannot act on SIGTERM: carry on first
        if (postgresData != null && Files.exists(postgresData.resolve("postmaster.pid"))) {
            signal("CONT", postgresProcesses());
        }
        if (kafka != null) {
            signal("CONT", List.of(kafka.pid()));
        }
        stop(gateway);
        stop(kafka);
        stop(postgres);
        if (backend != null) {
            backend.stop(0);
        }
    }

    @Test
    @Order(1)
    void aGatewayStartedWhileKafkaIsPausedAnswers503UntilItHasReadTheTopicsThenRoutes() throws Exception {
        try {
            signal("STOP", List.of(kafka.pid()));
            try {
                startGateway();
                HttpResponse<String> early = chat(adminKey);
                assertEquals(503, early.statusCode(), early.body());
                assertNotNull(early.headers().firstValue("Retry-After").orElse(null), "Retry-After");
                assertEquals("gateway_starting", JSON.readTree(early.body()).path("error").path("code").asText());
                assertEquals(503, get("/q/health/ready").statusCode(), "not ready before the topics are read");
                HttpResponse<String> models = get("/v1/models", adminKey);
                assertEquals(503, models.statusCode(), models.body());
            } finally {
                signal("CONT", List.of(kafka.pid()));
            }
            await("ready once the topics are read", Duration.ofSeconds(90), () -> get("/q/health/ready"),
                    r -> r.statusCode() == 200);
            HttpResponse<String> routed = chat(adminKey);
            assertEquals(200, routed.statusCode(), routed.body());
        } catch (Throwable t) {
            printLogs();
            throw t;
        }
    }

    @Test
    @Order(2)
    void withKafkaPausedTheGatewayStaysReadyAndRoutes() throws Exception {
        try {
            int before = backendCalls.get();
            signal("STOP", List.of(kafka.pid()));
            try {
                JsonNode degraded = await("Kafka reported away", Duration.ofSeconds(30), this::readiness, r -> {
                    assertEquals(200, r.path("status-code").asInt(), "ready throughout: " + r);
                    return data(r).path("kafka").asText().startsWith("away");
                });
                assertTrue(data(degraded).path("degraded").asBoolean(), degraded
                        .toString());
                for (int i = 0; i < 10; i++) {
                    HttpResponse<String> chat = chat(adminKey);
                    assertEquals(200, chat.statusCode(), chat.body());
                }
                assertEquals(200, get("/q/health/ready").statusCode());
            } finally {
                signal("CONT", List.of(kafka.pid()));
            }
            assertEquals(before + 10, backendCalls.get());
            await("Kafka reachable again", Duration.ofSeconds(60), this::readiness,
                    r -> data(r).path("kafka").asText().equals("reachable"));
        } catch (Throwable t) {
            printLogs();
            throw t;
        }
    }

    @Test
    @Order(3)
    void withPostgresPausedKnownKeysServeNewKeysAndChangesGet503AndNoUsageIsLost() throws Exception {
        try {
            String known = createKey("known");
            String unused = createKey("unused");
            String knownId = known.split("_")[1];
            HttpResponse<String> first = chat(known);
            assertEquals(200, first.statusCode(), first.body());
            int answered = 1;

            List<Long> pids = postgresProcesses();
            signal("STOP", pids);
            long pausedAt = System.nanoTime();
            try {
                // three TTLs of the key cache and more: the known key is served from its cached row
                while (System.nanoTime() - pausedAt < 3 * KEY_CACHE_TTL.toNanos() + DATABASE_TIMEOUT.toNanos()) {
                    long sent = System.nanoTime();
                    HttpResponse<String> chat = chat(known);
                    assertEquals(200, chat.statusCode(), chat.body());
                    assertTrue(System.nanoTime() - sent < PROMPT.toNanos(), "answered promptly");
                    answered++;
                    Thread.sleep(100);
                }
                long sent = System.nanoTime();
                HttpResponse<String> fresh = chat(unused);
                assertEquals(503, fresh.statusCode(), "a key never checked cannot be checked now: " + fresh.body());
                assertTrue(System.nanoTime() - sent < PROMPT.toNanos(), "refused promptly, not hung");
                assertNotNull(fresh.headers().firstValue("Retry-After").orElse(null), "Retry-After");
                assertEquals("auth_unavailable", JSON.readTree(fresh.body()).path("error").path("code").asText());

                HttpResponse<String> newKey = post("/api/v1/api-keys", adminKey, "{\"name\":\"during\"}");
                assertEquals(503, newKey.statusCode(), newKey.body());
                assertNotNull(newKey.headers().firstValue("Retry-After").orElse(null), "Retry-After");
                HttpResponse<String> newModel = post("/api/v1/models", adminKey, "{\"name\":\"during\"}");
                assertEquals(503, newModel.statusCode(), newModel.body());
                assertNotNull(newModel.headers().firstValue("Retry-After").orElse(null), "Retry-After");

                JsonNode health = readiness();
                assertEquals(200, health.path("status-code").asInt(), health.toString());
                assertTrue(data(health).path("postgresql").asText()
                        .startsWith("away"), health.toString());
            } finally {
                signal("CONT", pids);
            }

            int expected = answered;
            JsonNode usage = await("all usage written", Duration.ofSeconds(60),
                    () -> usage(knownId), u -> u.path("items").size() == 1
                            && u.path("items").path(0).path("requests").asInt() == expected);
            assertEquals((long) expected * PROMPT_TOKENS, usage.path("items").path(0).path("prompt_tokens")
                    .asLong(), usage.toString());
            Thread.sleep(2_000); // two more flush intervals: nothing is counted twice later either
            assertEquals(expected, usage(knownId).path("items").path(0).path("requests").asInt());
            HttpResponse<String> after = chat(unused);
            assertEquals(200, after.statusCode(), "checked once PostgreSQL is back: " + after.body());
        } catch (Throwable t) {
            printLogs();
            throw t;
        }
    }

    // the gateway

    private void startGateway() throws Exception {
        Path jar = Path.of(System.getProperty("gateway.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "run `package` first: " + jar + " is missing");
        Path dataDir = workDir.resolve("gateway-data");
        for (int attempt = 0; ; attempt++) {
            gatewayPort = FreePorts.pick();
            Path log = workDir.resolve("gateway-" + attempt + ".log");
            logs.add(log);
            int closedPort = FreePorts.pick();
            ProcessBuilder builder = new ProcessBuilder(java(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC", "-jar", jar.toAbsolutePath().toString())
                    .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
            env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://127.0.0.1:" + postgresPort + "/" + DATABASE);
            env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + postgresPort + "/" + DATABASE);
            env.put("QUARKUS_DATASOURCE_USERNAME", USER);
            env.put("QUARKUS_DATASOURCE_PASSWORD", dbPassword);
            env.put("GPUFLEET_CLUSTER_TOKEN", TOKEN);
            env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
            env.put("QUARKUS_HTTP_PORT", String.valueOf(gatewayPort));
            env.put("GPUFLEET_GATEWAY_DATA_DIR", dataDir.toString());
            env.put("GPUFLEET_GATEWAY_REGISTRY_URL", "http://127.0.0.1:" + closedPort);
            env.put("GPUFLEET_GATEWAY_SCHEDULER_URL", "http://127.0.0.1:" + closedPort);
            env.put("GPUFLEET_GATEWAY_AUTH_KEY_CACHE_TTL", KEY_CACHE_TTL.toMillis() + "ms");
            env.put("GPUFLEET_GATEWAY_DATABASE_TIMEOUT", DATABASE_TIMEOUT.toMillis() + "ms");
            env.put("GPUFLEET_GATEWAY_HEALTH_PROBE_INTERVAL", "500ms");
            env.put("GPUFLEET_GATEWAY_USAGE_FLUSH_INTERVAL", "1s");
            env.put("GPUFLEET_GATEWAY_USAGE_WRITE_TIMEOUT", "2s");
            gateway = builder.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && gateway.isAlive()) {
                if (get("/q/health/live").statusCode() == 200 && Files.exists(dataDir.resolve("admin-api-key"))) {
                    adminKey = Files.readString(dataDir.resolve("admin-api-key")).trim();
                    return;
                }
                Thread.sleep(250);
            }
            if (!gateway.isAlive() && Files.readString(log).contains("seems to be in use") && attempt < 3) {
                continue; // the free port was taken before the gateway bound it
            }
            throw new AssertionError("the gateway did not start within 90 s");
        }
    }

    private HttpResponse<String> chat(String key) throws IOException, InterruptedException {
        return post("/v1/chat/completions", key, "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"hi\"}]}");
    }

    private HttpResponse<String> post(String path, String key, String body) throws IOException,
            InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(path, null);
    }

    private HttpResponse<String> get(String path, String key) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path))
                .timeout(Duration.ofSeconds(20));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException notYet) {
            return new Unanswered(notYet);
        }
    }

    /** The readiness answer with its status as {@code status-code}. */
    private JsonNode readiness() throws IOException, InterruptedException {
        HttpResponse<String> response = get("/q/health/ready");
        com.fasterxml.jackson.databind.node.ObjectNode body = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(response.body());
        body.put("status-code", response.statusCode());
        return body;
    }

    /** The data of the gateway's own readiness check. */
    private static JsonNode data(JsonNode readiness) {
        for (JsonNode check : readiness.path("checks")) {
            if (check.path("name").asText().equals("gateway data plane")) {
                return check.path("data");
            }
        }
        throw new AssertionError("no gateway data plane check in " + readiness);
    }

    private String createKey(String name) throws IOException, InterruptedException {
        HttpResponse<String> created = post("/api/v1/api-keys", adminKey, "{\"name\":\"" + name + "\"}");
        assertEquals(201, created.statusCode(), created.body());
        return JSON.readTree(created.body()).path("key").asText();
    }

    private JsonNode usage(String keyId) throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v1/usage?key_id=" + keyId, adminKey);
        return response.statusCode() == 200 ? JSON.readTree(response.body()) : JSON.createObjectNode();
    }

    // the stand-in backend

    private static void answer(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        backendCalls.incrementAndGet();
        byte[] body = ("{\"id\":\"c-1\",\"object\":\"chat.completion\",\"model\":\"" + MODEL + "\",\"choices\":"
                + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":"
                + "\"stop\"}],\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":3,"
                + "\"total_tokens\":" + (PROMPT_TOKENS + 3) + "}}").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    // processes

    private static Process startJava(String name, String mainClass, Map<String, String> env, String... args)
            throws IOException {
        Path log = workDir.resolve(name + ".log");
        logs.add(log);
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static void awaitLog(Process process, Path log, String marker, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(marker)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError(log + " exited:\n" + Files.readString(log));
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + marker + "' in " + log + " within " + timeout);
    }

    /** The postmaster (from its pid file) and every server process it forked. */
    private static List<Long> postgresProcesses() {
        try {
            long postmaster = Long.parseLong(Files.readAllLines(postgresData.resolve("postmaster.pid")).get(0)
                    .trim());
            List<Long> pids = new ArrayList<>();
            pids.add(postmaster);
            ProcessHandle.of(postmaster).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
            return pids;
        } catch (IOException e) {
            throw new AssertionError("no postmaster.pid in " + postgresData, e);
        }
    }

    private static void signal(String signal, List<Long> pids) {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.forEach(pid -> command.add(String.valueOf(pid)));
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0) {
                throw new AssertionError(command + " failed: " + output);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stop(Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    private static void publish(String topic, Envelope<EventPayload> event) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event))).get(30,
                    TimeUnit.SECONDS);
        }
    }

    @FunctionalInterface
    private interface Probe<T> {
        T get() throws Exception;
    }

    private static <T> T await(String what, Duration timeout, Probe<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.get();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + ": not within " + timeout.toSeconds() + " s; last: " + last);
    }

    private static void printLogs() {
        for (Path log : logs) {
            try {
                List<String> lines = Files.readAllLines(log);
                System.out.println("----- last lines of " + log);
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.out::println);
            } catch (IOException e) {
                System.out.println("(no " + log + ")");
            }
        }
    }

    /** A request the gateway did not take (not listening yet). */
    private record Unanswered(Exception why) implements HttpResponse<String> {
        public int statusCode() {
            return -1;
        }

        public HttpRequest request() {
            return null;
        }

        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        public java.net.http.HttpHeaders headers() {
            return java.net.http.HttpHeaders.of(Map.of(), (a, b) -> true);
        }

        public String body() {
            return why.toString();
        }

        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return java.util.Optional.empty();
        }

        public URI uri() {
            return null;
        }

        public HttpClient.Version version() {
            return HttpClient.Version.HTTP_1_1;
        }
    }
}
