package dev.gpufleet.worker;

import dev.gpufleet.localstack.testing.TestClusterToken;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.worker.instances.Instances;
import dev.gpufleet.worker.testing.StandInBackend;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's restart property, "a worker killed and restarted keeps its identity and its running instances come back RUNNING", with the
 * packaged agent (target/quarkus-app/quarkus-run.jar, so run {@code package} first) as a process against an
 * embedded Kafka: it runs a stand-in llama-box, is SIGKILLed (the backend survives, as it would a crash), and the
 * agent started again on the same data dir heartbeats with the same worker id and adopts the same backend process.
 */
class AgentRestartIT {
    private static final String TOKEN = "it-cluster-token-0123456789abcdef";
    private static final String PORTS = "26300-26309";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static EmbeddedKafka kafka;
    private static Path workDir;

    private final List<Path> logs = new ArrayList<>();
    private Process agent;
    private long backendPid = -1;

    @BeforeAll
    static void startKafka() throws IOException {
        workDir = Files.createDirectories(Path.of("target", "it", "agent-restart-" + System.currentTimeMillis()))
                .toAbsolutePath();
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        if (agent != null && agent.isAlive()) {
            agent.destroy(); // SIGTERM: the agent stops its backends
            agent.waitFor(30, TimeUnit.SECONDS);
        }
        kill();
        if (backendPid > 0) {
            ProcessHandle.of(backendPid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void aKilledAndRestartedAgentKeepsItsIdentityAndAdoptsItsRunningBackend() throws Throwable {
        Path dataDir = Files.createDirectories(workDir.resolve("data"));
        Path binary = StandIns.install(workDir.resolve("bin"), "llama-box");
        Path model = StandInBackend.modelFile(workDir, "demo.gguf", "healthy-after-ms=0");
        try (InstanceTopics instances = new InstanceTopics(kafka.bootstrapServers());
             WorkerTopic workers = new WorkerTopic(kafka.bootstrapServers())) {
            startAgent(dataDir, binary);
            String workerId = await("the agent's identity", () -> readWorkerId(dataDir), id -> id != null);
            await("a heartbeat of worker " + workerId, () -> workers.heartbeatsOf(workerId), l -> !l.isEmpty());

            InstanceChanged instance = Instances.instance("it-1", workerId, InstanceState.SCHEDULED, 0,
                    Instances.plan(model.toString(), List.of(), Map.of()));
            instances.publish(instance, 1);
            InstanceObserved running = await("the backend RUNNING", () -> latest(instances, "it-1"),
                    o -> o != null && o.payload().state() == InstanceState.RUNNING).payload();
            backendPid = running.pid();
            instances.publish(withState(instance, InstanceState.RUNNING, "127.0.0.1:" + running.port()), 2);
            int observationsBefore = instances.observationsOf("it-1").size();

            kill();
            assertTrue(ProcessHandle.of(backendPid).map(ProcessHandle::isAlive).orElse(false),
                    "the backend outlives the killed agent");
            int heartbeatsBefore = workers.heartbeatsOf(workerId).size();

            startAgent(dataDir, binary);
            assertEquals(workerId, readWorkerId(dataDir), "identity.json is kept");
            Envelope<WorkerReported> heartbeat = await("a heartbeat of the restarted agent listing it-1 RUNNING",
                    () -> {
                        List<Envelope<WorkerReported>> all = workers.heartbeatsOf(workerId);
                        return all.size() > heartbeatsBefore ? all.get(all.size() - 1) : null;
                    }, h -> h != null && h.payload().instances().stream()
                            .anyMatch(i -> i.instanceId().equals("it-1") && i.state() == InstanceState.RUNNING));
            assertEquals(workerId, heartbeat.payload().workerId());
            InstanceObserved again = await("RUNNING reported again after the restart", () -> {
                List<Envelope<InstanceObserved>> all = instances.observationsOf("it-1");
                return all.size() > observationsBefore ? all.get(all.size() - 1).payload() : null;
            }, o -> o != null && o.state() == InstanceState.RUNNING);
            assertEquals(backendPid, again.pid(), "the same backend process, adopted");
            assertEquals(running.port(), again.port());
            // llama-box cannot check a key: the restarted agent opened its authenticating proxy again
            String key = dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET,
                    "it-1");
            assertEquals(401, healthThroughTheProxy(running.port(), null));
            assertEquals(200, healthThroughTheProxy(running.port(), key));
            List<Envelope<InstanceObserved>> all = instances.observationsOf("it-1"); // read once: more may arrive
            assertTrue(all.subList(observationsBefore, all.size()).stream()
                    .noneMatch(e -> e.payload().state() == InstanceState.ERROR), "no ERROR on the way");
        } catch (Throwable t) {
            printLogs();
            throw t;
        }
    }

    private static int healthThroughTheProxy(int port, String key) throws IOException, InterruptedException {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(10));
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return java.net.http.HttpClient.newHttpClient().send(request.build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private void startAgent(Path dataDir, Path binary) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("worker.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "run `package` first: " + jar + " is missing");
        int httpPort = FreePorts.pick();
        Path log = workDir.resolve("agent-" + (logs.size() + 1) + ".log");
        logs.add(log);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jar.toAbsolutePath().toString())
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("GPUFLEET_CLUSTER_TOKEN", TOKEN);
        env.put("GPUFLEET_BACKEND_KEY_SECRET", TestClusterToken.BACKEND_KEY_SECRET);
        env.put("GPUFLEET_METRICS_TOKEN", TestClusterToken.METRICS_TOKEN);
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", "0");
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(httpPort));
        env.put("GPUFLEET_WORKER_DATA_DIR", dataDir.toString());
        env.put("GPUFLEET_MODELS_LOCAL_ROOTS", workDir.toString());
        env.put("GPUFLEET_WORKER_NAME", "restart-it");
        env.put("GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s");
        env.put("GPUFLEET_WORKER_SIMULATED_DEVICES", "nvidia:NVIDIA L4:24GiB");
        env.put("GPUFLEET_WORKER_BACKEND_HOST", "127.0.0.1");
        env.put("GPUFLEET_WORKER_PORT_RANGE", PORTS);
        env.put("GPUFLEET_WORKER_LLAMA_BOX_COMMAND", binary.toString());
        env.put("GPUFLEET_WORKER_LIVENESS_INTERVAL", "500ms");
        env.put("GPUFLEET_WORKER_ADOPTION_GRACE", "5s");
        agent = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new AssertionError("the agent exited with " + agent.exitValue() + " before it was ready");
            }
            if (Files.isRegularFile(dataDir.resolve("identity.json")) && Files.readString(log).contains("started in")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the agent did not start within 60 s");
    }

    /** SIGKILL: no shutdown hooks; the backends it started keep running. */
    private void kill() {
        if (agent != null && agent.isAlive()) {
            agent.destroyForcibly();
            try {
                agent.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String readWorkerId(Path dataDir) {
        try {
            String json = Files.readString(dataDir.resolve("identity.json"));
            var matcher = java.util.regex.Pattern.compile("\"workerId\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
            return matcher.find() ? matcher.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Envelope<InstanceObserved> latest(InstanceTopics topics, String instanceId) throws Exception {
        List<Envelope<InstanceObserved>> all = topics.observationsOf(instanceId);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    private static InstanceChanged withState(InstanceChanged i, InstanceState state, String endpoint) {
        return new InstanceChanged(i.instanceId(), i.name(), i.modelId(), i.modelName(), i.workerId(), i.workerName(),
                i.gpuIndexes(), i.subordinateWorkers(), i.claim(), state, null, endpoint, i.restartCount(),
                i.launchPlan(), i.shape());
    }

    private static <T> T await(String what, java.util.concurrent.Callable<T> supplier, Predicate<T> done) {
        return org.awaitility.Awaitility.await(what).atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                .until(supplier, v -> done.test(v));
    }

    private void printLogs() {
        for (Path log : logs) {
            try {
                System.err.println("===== " + log + "\n" + Files.readString(log));
            } catch (IOException e) {
                System.err.println("cannot read " + log + ": " + e);
            }
        }
    }
}
