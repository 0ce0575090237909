package dev.gpufleet.worker;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.testing.ProcessInspection;
import dev.gpufleet.worker.instances.Instances;
import dev.gpufleet.worker.processes.Leftover;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged agent as a process, holding a service token, a Kafka credential and a hub token in its environment,
 * runs a (stand-in) llama-box of its own and an RPC server for another worker's instance: neither process holds any
 * of those credentials nor anything of the agent's configuration, and neither listens on all interfaces, since no
 * backend host is configured (the advertised address applies).
 */
class BackendIsolationIT {
    private static final String SERVICE_TOKEN = "it-service-token-5f0c9a7e1b2d4c3a8e6f";
    private static final String KAFKA_PASSWORD = "it-kafka-password-7d1e2f3a4b5c6d7e";
    private static final String HUB_TOKEN = "hf_itHubToken0123456789abcdefABCDEF";
    private static final String BACKEND_KEY_SECRET = "it-backend-key-secret-0f1e2d3c4b5a69788796";
    private static final String METRICS_TOKEN = "it-metrics-token-a1b2c3d4e5f60718293a4b5c";
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static EmbeddedKafka kafka;
    private static Path workDir;
    private Process agent;
    private Path log;

    @BeforeAll
    static void startKafka() throws IOException {
        workDir = Files.createDirectories(Path.of("target", "it", "backend-isolation-" + System.currentTimeMillis()))
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
    void stopAgent() throws InterruptedException {
        if (agent != null && agent.isAlive()) {
            agent.destroy(); // SIGTERM: the agent stops what it started
            if (!agent.waitFor(30, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
    }

    @Test
    void processesTheAgentStartsHoldNoCredentialAndListenOnlyOnTheAdvertisedAddress() throws Throwable {
        Path dataDir = Files.createDirectories(workDir.resolve("data"));
        Path binary = StandIns.install(workDir.resolve("bin"), "llama-box");
        Path model = StandInBackend.modelFile(workDir, "demo.gguf", "healthy-after-ms=0");
        try (InstanceTopics instances = new InstanceTopics(kafka.bootstrapServers());
             WorkerTopic workers = new WorkerTopic(kafka.bootstrapServers())) {
            startAgent(dataDir, binary);
            String workerId = await("the agent's identity", () -> readWorkerId(dataDir), id -> id != null);
            await("a heartbeat", () -> workers.heartbeatsOf(workerId), l -> !l.isEmpty());

            instances.publish(Instances.instance("iso-1", workerId, InstanceState.SCHEDULED, 0,
                    Instances.plan(model.toString(), List.of(), Map.of("HF_HUB_OFFLINE", "1"))), 1);
            InstanceChanged lent = Instances.instance("iso-2", "w-elsewhere", InstanceState.SCHEDULED, 0,
                    Instances.plan(model.toString(), List.of(), Map.of()));
            instances.publish(new InstanceChanged(lent.instanceId(), lent.name(), lent.modelId(), lent.modelName(),
                    lent.workerId(), lent.workerName(), List.of(), List.of(new SubordinateWorker(workerId,
                    List.of(0), new ResourceClaim(0, Map.of(0, 1L << 30)), "127.0.0.1")), lent.claim(),
                    lent.state(), null, null, 0, lent.launchPlan()), 2);

            long backendPid = await("the backend RUNNING", () -> latest(instances, "iso-1"),
                    o -> o != null && o.payload().state() == InstanceState.RUNNING).payload().pid();
            long rpcServerPid = await("the RPC server lent to iso-2", () -> rpcServerPid(dataDir), Optional::isPresent)
                    .orElseThrow();
            await("the RPC server listening", () -> ProcessInspection.listening(rpcServerPid), l -> !l.isEmpty());

            for (long root : List.of(backendPid, rpcServerPid)) {
                for (long pid : ProcessInspection.withDescendants(root)) {
                    Map<String, String> environ = ProcessInspection.environ(pid);
                    String all = environ.toString();
                    for (String secret : List.of(SERVICE_TOKEN, BACKEND_KEY_SECRET, METRICS_TOKEN, KAFKA_PASSWORD, HUB_TOKEN,
                            kafka.bootstrapServers())) {
                        assertFalse(all.contains(secret), "process " + pid + " holds " + secret + ": "
                                + environ.keySet());
                    }
                    assertEquals(List.of(), environ.keySet().stream().filter(n -> n.startsWith("GPUFLEET_")
                            || n.startsWith("KAFKA_") || n.startsWith("QUARKUS_")).toList(),
                            "the agent's settings stay in the agent (process " + pid + ")");
                    List<ProcessInspection.Listening> listening = ProcessInspection.listening(pid);
                    assertEquals(List.of(), listening.stream().filter(ProcessInspection.Listening::allInterfaces)
                            .toList(), "process " + pid + " listens on all interfaces: " + listening);
                    assertTrue(listening.stream().allMatch(l -> l.address().equals("127.0.0.1")), listening.toString());
                }
            }
            assertEquals("1", ProcessInspection.environ(backendPid).get("HF_HUB_OFFLINE"), "the model's env is kept");
            assertEquals("", ProcessInspection.environ(backendPid).get("CUDA_VISIBLE_DEVICES"),
                    "a CPU-only instance sees no GPU");
            assertEquals("0", ProcessInspection.environ(rpcServerPid).get("CUDA_VISIBLE_DEVICES"));
            assertFalse(ProcessInspection.listening(backendPid).isEmpty(), "the backend listens");
        } catch (Throwable t) {
            if (log != null && Files.exists(log)) {
                System.err.println("===== " + log + "\n" + Files.readString(log));
            }
            throw t;
        }
    }

    private void startAgent(Path dataDir, Path binary) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("worker.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "run `package` first: " + jar + " is missing");
        log = workDir.resolve("agent.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-jar", jar.toAbsolutePath().toString())
                .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"agent\" password=\"" + KAFKA_PASSWORD + "\";");
        env.put("GPUFLEET_CLUSTER_TOKEN", SERVICE_TOKEN);
        env.put("GPUFLEET_BACKEND_KEY_SECRET", BACKEND_KEY_SECRET);
        env.put("GPUFLEET_METRICS_TOKEN", METRICS_TOKEN);
        env.put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        env.put("QUARKUS_MANAGEMENT_PORT", "0");
        env.put("GPUFLEET_WORKER_HUGGINGFACE_TOKEN", HUB_TOKEN);
        env.put("HF_TOKEN", HUB_TOKEN);
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", String.valueOf(FreePorts.pick()));
        env.put("GPUFLEET_WORKER_DATA_DIR", dataDir.toString());
        env.put("GPUFLEET_MODELS_LOCAL_ROOTS", workDir.toString());
        env.put("GPUFLEET_WORKER_NAME", "isolation-it");
        env.put("GPUFLEET_WORKER_ADDRESS", "127.0.0.1");
        env.remove("GPUFLEET_WORKER_BACKEND_HOST");
        env.put("GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s");
        env.put("GPUFLEET_WORKER_SIMULATED_DEVICES", "nvidia:NVIDIA L4:24GiB");
        env.put("GPUFLEET_WORKER_PORT_RANGE", "26310-26319");
        env.put("GPUFLEET_WORKER_RPC_PORT_RANGE", "26320-26321");
        env.put("GPUFLEET_WORKER_LLAMA_BOX_COMMAND", binary.toString());
        agent = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!agent.isAlive()) {
                throw new AssertionError("the agent exited with " + agent.exitValue() + ": " + Files.readString(log));
            }
            if (Files.isRegularFile(dataDir.resolve("identity.json")) && Files.readString(log).contains("started in")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the agent did not start within 60 s");
    }

    private static Optional<Long> rpcServerPid(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("rpc-servers");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".gpu0.pid")).toList()) {
                Optional<Leftover> leftover = Leftover.parse(Files.readString(file));
                if (leftover.isPresent()) {
                    return Optional.of(leftover.get().pid());
                }
            }
        }
        return Optional.empty();
    }

    private static String readWorkerId(Path dataDir) {
        try {
            var matcher = java.util.regex.Pattern.compile("\"workerId\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(Files.readString(dataDir.resolve("identity.json")));
            return matcher.find() ? matcher.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static Envelope<InstanceObserved> latest(InstanceTopics topics, String instanceId) throws Exception {
        List<Envelope<InstanceObserved>> all = topics.observationsOf(instanceId);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    private static <T> T await(String what, java.util.concurrent.Callable<T> supplier,
                               java.util.function.Predicate<T> done) {
        return org.awaitility.Awaitility.await(what).atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                .until(supplier, done::test);
    }
}
