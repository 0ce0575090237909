package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.gpufleet.worker.instances.StandInChecks.env;

/** vLLM, vox-box and MindIE stand-ins started by the supervisor as real processes, each reaching RUNNING. */
class EngineBackendsTest {
    private static final String PORTS = "26150-26159";
    private static final List<GpuDevice> DEVICES = List.of(
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-0", 80L << 30, 0, 0),
            new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-1", 80L << 30, 0, 0),
            new GpuDevice(2, "ascend", "npu", "Ascend 910B", "NPU-0", 64L << 30, 0, 0));

    @TempDir
    Path dir;

    private BackendSupervisor supervisor;
    private final List<InstanceObserved> sink = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        if (supervisor != null) {
            supervisor.close();
        }
    }

    private void start(String backend, String binaryName, String mode) throws Exception {
        Path binary = StandIns.installEngine(dir.resolve("bin"), binaryName, mode);
        supervisor = new BackendSupervisor(new SupervisorSettings("w-me", Files.createDirectories(dir.resolve("data")),
                "127.0.0.1", PORTS, DEVICES, () -> new BinaryChoice(List.of(), "no llama-box"),
                Duration.ofSeconds(30), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3),
                name -> name.equals(backend) ? new BinaryChoice(List.of(binary.toString()), null)
                        : new BinaryChoice(List.of(), "no " + name), TOKEN, "26160-26169"),
                sink::add, Clock.systemUTC());
        supervisor.start();
    }

    private InstanceChanged instance(String id, String backend, Path model, List<Integer> gpus, List<String> params,
                                     Path record) {
        LaunchPlan plan = new LaunchPlan(backend, null, ModelSource.localPath(model.toString()), params,
                Map.of("GPUFLEET_TEST_RECORD", record.toString()), List.of("llm"));
        return Instances.instance(id, id + "-name", "qwen", "w-me", gpus, InstanceState.SCHEDULED, 0, plan);
    }

    private InstanceObserved awaitState(String id, InstanceState state) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .filter(o -> o.instanceId().equals(id) && o.state() == state).findFirst().orElse(null),
                o -> o != null);
    }

    @Test
    void vllmRunsWithTheSeedsDefaultsAndItsGpus() throws Exception {
        start("vllm", "vllm", "vllm");
        Path model = Files.createDirectories(dir.resolve("Qwen2.5-7B"));
        Files.writeString(model.resolve("config.json"), "{\"max_position_embeddings\": 32768}");
        Path record = dir.resolve("rec-vllm");
        supervisor.accept(Envelope.of(instance("v1", "vllm", model, List.of(0, 1), List.of("--seed=7"), record),
                1, Clock.systemUTC()));

        InstanceObserved running = awaitState("v1", InstanceState.RUNNING);
        // the first free port of the range: 26150 unless a socket of an earlier test still holds it
        assertTrue(running.port() >= 26150 && running.port() <= 26159, "from the range: " + running.port());
        assertEquals(List.of("serve", model.toString(), "--gpu-memory-utilization", "0.9", "--max-model-len",
                "8192", "--tensor-parallel-size", "2", "--seed", "7", "--host", "127.0.0.1", "--port", String.valueOf(running.port()),
                "--served-model-name", "qwen"), Files.readAllLines(record.resolve("argv")), "no key on the command line");
        assertEquals("0,1", env(record.resolve("env")).get("CUDA_VISIBLE_DEVICES"));
        assertEquals(dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(TOKEN, "v1"),
                env(record.resolve("env")).get("VLLM_API_KEY"), "vLLM reads its key from the environment");
    }

    @Test
    void voxBoxRunsOnItsOneGpuAsCuda0() throws Exception {
        start("vox-box", "vox-box", "vox-box");
        Path model = Files.createDirectories(dir.resolve("faster-whisper-small"));
        Path record = dir.resolve("rec-vox");
        supervisor.accept(Envelope.of(instance("a1", "vox-box", model, List.of(1), List.of("--debug"), record),
                1, Clock.systemUTC()));

        InstanceObserved running = awaitState("a1", InstanceState.RUNNING);
        List<String> argv = Files.readAllLines(record.resolve("argv"));
        int backendPort = Integer.parseInt(argv.get(argv.size() - 1));
        assertTrue(backendPort != running.port(), "behind the agent's proxy, on a port of its own: " + argv);
        assertEquals(List.of("start", "--model", model.toString(), "--data-dir",
                dir.resolve("data/instances/a1/vox-box").toString(), "--debug", "--device", "cuda:0", "--host",
                "127.0.0.1", "--port", String.valueOf(backendPort)), argv);
        assertEquals("1", env(record.resolve("env")).get("CUDA_VISIBLE_DEVICES"));
    }

    @Test
    void mindieReadsTheGeneratedConfigFile() throws Exception {
        start("mindie", "mindieservice_daemon", "mindie");
        Path model = Files.createDirectories(dir.resolve("Qwen2.5-7B-Instruct"));
        Path record = dir.resolve("rec-mindie");
        supervisor.accept(Envelope.of(instance("m1", "ascend-mindie", model, List.of(2),
                List.of("--max-batch-size", "64", "--no-support-select-batch", "--enable-prefix-caching"), record),
                1, Clock.systemUTC()));

        InstanceObserved running = awaitState("m1", InstanceState.RUNNING);
        assertEquals(List.of(), Files.readAllLines(record.resolve("argv")));
        Map<String, String> env = env(record.resolve("env"));
        Path config = dir.resolve("data/instances/m1/mindie-config.json");
        assertEquals(config.toString(), env.get("MIES_CONFIG_JSON_PATH"));
        java.util.regex.Matcher port = java.util.regex.Pattern.compile("\"port\" : (\\d+)")
                .matcher(Files.readString(record.resolve("config.json")));
        assertTrue(port.find());
        int backendPort = Integer.parseInt(port.group(1));
        assertTrue(backendPort != running.port(), "behind the agent's proxy, on a port of its own");
        String expected = Files.readString(Path.of("src/test/resources/mindie/config-single-npu.json"))
                .replace("@PORT@", String.valueOf(backendPort)).replace("@MODEL@", model.toString());
        assertEquals(expected, Files.readString(record.resolve("config.json")));
        assertEquals("0.9", env.get("NPU_MEMORY_FRACTION"));
        assertTrue(!env.containsKey("ASCEND_RT_VISIBLE_DEVICES") || env.get("ASCEND_RT_VISIBLE_DEVICES").isEmpty()
                || System.getenv("ASCEND_RT_VISIBLE_DEVICES") != null, env.toString());
    }

    @Test
    void aCrashingEngineGoesToErrorWithItsExitCode() throws Exception {
        start("vllm", "vllm", "vllm");
        Path model = Files.createDirectories(dir.resolve("m"));
        Path record = Files.createDirectories(dir.resolve("rec-crash"));
        Files.writeString(record.resolve("behaviour.properties"), "crash=true\n");
        supervisor.accept(Envelope.of(instance("c1", "vllm", model, List.of(0), List.of(), record), 1,
                Clock.systemUTC()));
        InstanceObserved error = awaitState("c1", InstanceState.ERROR);
        assertTrue(error.message().startsWith("backend exited with code 134"), error.message());
        assertTrue(error.message().contains("vllm stand-in: crashing"), error.message());
    }

    @Test
    void anUnknownFlagIsRefusedByTheStandInLikeTheRealParser() throws Exception {
        start("vllm", "vllm", "vllm");
        Path model = Files.createDirectories(dir.resolve("m2"));
        Path record = dir.resolve("rec-bad");
        supervisor.accept(Envelope.of(instance("b1", "vllm", model, List.of(0), List.of("--no-such-flag"), record),
                1, Clock.systemUTC()));
        InstanceObserved error = awaitState("b1", InstanceState.ERROR);
        assertTrue(error.message().contains("unrecognized arguments: --no-such-flag"), error.message());
    }
}
