package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.worker.backend.BackendBinaries;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.LaunchPlanner;
import dev.gpufleet.worker.backend.RayCommands;
import dev.gpufleet.worker.backend.RaySettings;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.gpufleet.worker.instances.StandInChecks.listening;
import static dev.gpufleet.worker.instances.StandInChecks.await;
import static dev.gpufleet.worker.instances.StandInChecks.env;

/**
 * A vLLM instance over two workers with Ray, each a real {@link BackendSupervisor} with its own data dir, both fed the
 * same events: the main ({@code ME}) runs a stand-in Ray head and then a stand-in vLLM that waits until the cluster
 * has tensor × pipeline parallel GPUs; the subordinate ({@code OTHER}) runs a stand-in Ray worker node that joins the
 * head. Both workers are this host, so only the GCS port is shared; each node's other Ray ports are its own.
 */
class DistributedVllmTest {
    private static final String MAIN_PORTS = "26200-26204";
    private static final String SUB_PORTS = "26205-26209";
    private static final int GCS = 26210;
    private static final RayCommands.Ports MAIN_RAY = new RayCommands.Ports(GCS, 26211, 26212, 26213, 26214, 26215,
            26216, 26217, 26230, 26239, 26218);
    private static final RayCommands.Ports SUB_RAY = new RayCommands.Ports(GCS, 26221, 26222, 26223, 26224, 26225,
            26226, 26227, 26240, 26249, 26228);
    private static final List<GpuDevice> GPUS = List.of(
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-0", 80L << 30, 0, 0.0),
            new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-1", 80L << 30, 0, 0.0));

    @TempDir
    Path dir;

    private Path vllm;
    private Path mainRay;
    private Path subRay;
    private Path mainRecords;
    private Path subRecords;
    private Path model;
    private Path record;
    private final List<BackendSupervisor> supervisors = new ArrayList<>();
    private final List<InstanceObserved> mainSink = new CopyOnWriteArrayList<>();
    private final List<InstanceObserved> subSink = new CopyOnWriteArrayList<>();
    private final AtomicLong revision = new AtomicLong();

    @BeforeEach
    void installStandIns() throws IOException {
        mainRecords = dir.resolve("ray-main");
        subRecords = dir.resolve("ray-sub");
        vllm = StandIns.installEngine(dir.resolve("main-bin"), "vllm", "vllm");
        mainRay = StandIns.installRay(dir.resolve("main-bin"), mainRecords);
        subRay = StandIns.installRay(dir.resolve("sub-bin"), subRecords);
        model = Files.createDirectories(dir.resolve("Qwen2.5-72B-Instruct"));
        record = dir.resolve("vllm-record");
    }

    @AfterEach
    void closeSupervisors() {
        supervisors.forEach(BackendSupervisor::close);
    }

    private BackendSupervisor supervisor(String workerId, String ports, RayCommands.Ports rayPorts,
                                         Map<String, Path> binaries, List<InstanceObserved> sink) throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve("data-" + workerId));
        BackendSupervisor supervisor = new BackendSupervisor(new SupervisorSettings(workerId, dataDir, "127.0.0.1",
                ports, GPUS, () -> new BinaryChoice(List.of(), "no llama-box"), Duration.ofSeconds(20),
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3),
                backend -> binaries.containsKey(backend)
                        ? new BinaryChoice(List.of(binaries.get(backend).toString()), null)
                        : BackendBinaries.choose(backend, Optional.empty(), name -> Optional.empty(), file -> false),
                null, "26250-26259", Duration.ofSeconds(1),
                new RaySettings(rayPorts, "127.0.0.1")),
                sink::add, Clock.systemUTC());
        supervisor.start();
        supervisors.add(supervisor);
        return supervisor;
    }

    private BackendSupervisor main() throws IOException {
        return supervisor(ME, MAIN_PORTS, MAIN_RAY, Map.of(LaunchPlanner.VLLM, vllm, LaunchPlanner.RAY, mainRay),
                mainSink);
    }

    private BackendSupervisor sub(boolean withRay) throws IOException {
        return supervisor(OTHER, SUB_PORTS, SUB_RAY, withRay ? Map.of(LaunchPlanner.RAY, subRay) : Map.of(),
                subSink);
    }

    /** What the scheduler's rayGroup places: 2 workers × 2 GPUs, tensor parallel 2, pipeline parallel 2. */
    private InstanceChanged distributed(InstanceState state, int restartCount) {
        LaunchPlan plan = new LaunchPlan("vllm", null, ModelSource.localPath(model.toString()), List.of(),
                Map.of("GPUFLEET_TEST_RECORD", record.toString()), List.of("llm"));
        return new InstanceChanged("d", "d-name", "m-qwen", "qwen", ME, ME + "-name", List.of(0, 1),
                List.of(new SubordinateWorker(OTHER, List.of(0, 1),
                        new ResourceClaim(0, Map.of(0, 72L << 30, 1, 72L << 30)), "127.0.0.1")),
                new ResourceClaim(1L << 30, Map.of(0, 72L << 30, 1, 72L << 30)), state, null, null, restartCount,
                plan, new PlacementShape(PlacementShape.Kind.DISTRIBUTED, 0, List.of(), 2, 2), "127.0.0.1");
    }

    private void publish(EventPayload payload, BackendSupervisor... to) {
        Envelope<EventPayload> envelope = Envelope.of(payload, revision.incrementAndGet(), Clock.systemUTC());
        for (BackendSupervisor supervisor : to) {
            supervisor.accept(envelope);
        }
    }

    private long pid(Path file) throws IOException {
        return Leftover.parse(Files.readString(file)).orElseThrow().pid();
    }

    private Path headPidFile() {
        return dir.resolve("data-" + ME).resolve(BackendLeftovers.PID_DIR)
                .resolve(BackendLeftovers.preludePidFileName("d"));
    }

    private Path rayWorkerPidFile() {
        return dir.resolve("data-" + OTHER).resolve(SubordinateLeftovers.PID_DIR)
                .resolve(SubordinateLeftovers.pidFileName(RpcServerPlan.Key.rayWorker("d")));
    }

    @Test
    void theHeadStartsTheWorkerJoinsAndVllmRunsOnTheClusterThenDeletingStopsAll() throws Exception {
        BackendSupervisor main = main();
        BackendSupervisor sub = sub(true);

        publish(distributed(InstanceState.SCHEDULED, 0), main, sub);

        InstanceObserved running = await(mainSink, InstanceState.RUNNING, 0);
        int port = running.port();
        assertEquals(List.of("serve", model.toString(), "--gpu-memory-utilization", "0.9",
                "--tensor-parallel-size", "2", "--pipeline-parallel-size", "2", "--distributed-executor-backend",
                "ray", "--host", "127.0.0.1", "--port", String.valueOf(port), "--served-model-name", "qwen"),
                Files.readAllLines(record.resolve("argv")));
        Map<String, String> vllmEnv = env(record.resolve("env"));
        assertEquals("127.0.0.1:" + GCS, vllmEnv.get("RAY_ADDRESS"));
        assertEquals("127.0.0.1", vllmEnv.get("VLLM_HOST_IP"));
        assertEquals("0,1", vllmEnv.get("CUDA_VISIBLE_DEVICES"));

        assertEquals(List.of("start", "--head", "--port", "26210", "--ray-client-server-port", "26211",
                "--dashboard-port", "26218", "--node-ip-address", "127.0.0.1", "--num-gpus", "2",
                "--node-manager-port", "26212", "--object-manager-port", "26213", "--runtime-env-agent-port", "26214",
                "--dashboard-agent-grpc-port", "26215", "--dashboard-agent-listen-port", "26216",
                "--metrics-export-port", "26217", "--min-worker-port", "26230", "--max-worker-port", "26239",
                "--block"), Files.readAllLines(mainRecords.resolve("head.argv")));
        assertEquals("0,1", env(mainRecords.resolve("head.env")).get("CUDA_VISIBLE_DEVICES"));
        assertEquals("127.0.0.1", env(mainRecords.resolve("head.env")).get("VLLM_HOST_IP"));
        assertEquals(List.of("start", "--address", "127.0.0.1:26210", "--node-ip-address", "127.0.0.1",
                "--num-gpus", "2", "--node-manager-port", "26222", "--object-manager-port", "26223",
                "--runtime-env-agent-port", "26224", "--dashboard-agent-grpc-port", "26225",
                "--dashboard-agent-listen-port", "26226", "--metrics-export-port", "26227", "--min-worker-port",
                "26240", "--max-worker-port", "26249", "--block"),
                Files.readAllLines(subRecords.resolve("worker-26222.argv")));
        Map<String, String> workerEnv = env(subRecords.resolve("worker-26222.env"));
        assertEquals("0,1", workerEnv.get("CUDA_VISIBLE_DEVICES"));
        assertEquals("127.0.0.1", workerEnv.get("VLLM_HOST_IP"));
        String mainLog = Files.readString(dir.resolve("data-" + ME).resolve("logs").resolve("d-name.log"));
        assertTrue(mainLog.contains("node 127.0.0.1 joined with 2 GPU(s); the cluster has 4"), mainLog);
        assertTrue(mainLog.contains("the Ray Cluster at 127.0.0.1:26210 has 4 GPU(s), 4 needed".replace("Cluster",
                "cluster")), mainLog);
        assertTrue(subSink.isEmpty(), "the subordinate reports nothing while all is well: " + subSink);
        long headPid = pid(headPidFile());
        long workerPid = pid(rayWorkerPidFile());

        publish(new InstanceDeleted("d", "m-qwen", ME), main, sub);

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> !listening(port)
                && !listening(GCS) && !listening(26222));
        for (long pid : List.of(headPid, workerPid)) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        }
        assertFalse(Files.exists(headPidFile()));
        assertFalse(Files.exists(rayWorkerPidFile()));
        assertTrue(subSink.isEmpty(), subSink.toString());
    }

    @Test
    void aSubordinateWithoutRayReportsErrorSayingWhatToInstall() throws Exception {
        BackendSupervisor sub = sub(false);

        publish(distributed(InstanceState.SCHEDULED, 3), sub);

        InstanceObserved error = await(subSink, InstanceState.ERROR, 3);
        assertEquals(OTHER, error.workerId());
        assertEquals("d", error.instanceId());
        assertEquals("the Ray worker of instance d cannot start: no ray backend on this worker: ray is not on the "
                + "search path. To fix: install Ray (pip install 'ray[default]'), or set gpufleet.worker.ray.command "
                + "(GPUFLEET_WORKER_RAY_COMMAND) to the command that runs it.", error.message());
    }

    @Test
    void aCrashedHeadFailsTheInstanceAndTheSchedulersRestartBringsItBack() throws Exception {
        BackendSupervisor main = main();
        BackendSupervisor sub = sub(true);
        publish(distributed(InstanceState.SCHEDULED, 0), main, sub);
        await(mainSink, InstanceState.RUNNING, 0);
        long vllmPid = mainSink.stream().filter(o -> o.state() == InstanceState.RUNNING).findFirst().orElseThrow()
                .pid();
        // no pause: the worker's exit soon after its start is no failed start when its head is gone

        ProcessHandle.of(pid(headPidFile())).orElseThrow().destroyForcibly();

        InstanceObserved error = await(mainSink, InstanceState.ERROR, 0);
        assertTrue(error.message().startsWith("the Ray head exited with code 137; last log lines:\n"),
                error.message());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(vllmPid).map(p -> !p.isAlive()).orElse(true));
        assertFalse(listening(GCS));

        // the scheduler's answer to ERROR: the same placement, one restart more
        publish(distributed(InstanceState.SCHEDULED, 1), main, sub);

        InstanceObserved again = await(mainSink, InstanceState.RUNNING, 1);
        assertTrue(listening(again.port()));
        assertTrue(listening(GCS));
        assertTrue(subSink.isEmpty(), "the subordinate's worker rejoined without a report: " + subSink);
    }

    @Test
    void aRestartedSubordinateAgentAdoptsItsRayWorker() throws Exception {
        BackendSupervisor main = main();
        BackendSupervisor crashed = sub(true);
        InstanceChanged instance = distributed(InstanceState.SCHEDULED, 0);
        publish(instance, main, crashed);
        await(mainSink, InstanceState.RUNNING, 0);
        long workerPid = pid(rayWorkerPidFile());

        crashed.abandon();
        supervisors.remove(crashed);
        BackendSupervisor restarted = sub(true);
        publish(instance, restarted);

        Thread.sleep(1_500); // past the adoption grace: a leftover not adopted would be stopped by now
        assertEquals(workerPid, pid(rayWorkerPidFile()));
        assertTrue(ProcessHandle.of(workerPid).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(subSink.isEmpty(), subSink.toString());
        assertEquals(1, mainSink.stream().filter(o -> o.state() == InstanceState.RUNNING && o.measuredUsage() == null).count(),
                "the main never noticed: " + mainSink);
    }

    @Test
    void aRestartedMainAgentStopsTheHeadAndVllmItLeftAndStartsBothAnew() throws Exception {
        BackendSupervisor crashed = main();
        sub(true);
        InstanceChanged instance = distributed(InstanceState.SCHEDULED, 0);
        publish(instance, supervisors.toArray(BackendSupervisor[]::new));
        InstanceObserved first = await(mainSink, InstanceState.RUNNING, 0);
        long headPid = pid(headPidFile());

        crashed.abandon();
        supervisors.remove(crashed);
        mainSink.clear();
        BackendSupervisor restarted = main();
        publish(instance, restarted);

        InstanceObserved again = await(mainSink, InstanceState.RUNNING, 0);
        assertTrue(ProcessHandle.of(first.pid()).map(p -> !p.isAlive()).orElse(true), "the old vLLM was stopped");
        assertTrue(ProcessHandle.of(headPid).map(p -> !p.isAlive()).orElse(true), "the old head was stopped");
        assertTrue(again.pid() != first.pid());
        assertTrue(pid(headPidFile()) != headPid);
    }

    @Test
    void aRayWorkerThatKeepsCrashingReportsErrorAfterThreeQuickExits() throws Exception {
        BackendSupervisor main = main();
        BackendSupervisor sub = sub(true);
        Files.createDirectories(subRecords);
        Files.writeString(subRecords.resolve("behaviour.properties"), "worker.crash=true\n");

        publish(distributed(InstanceState.SCHEDULED, 0), main, sub);

        InstanceObserved error = await(subSink, InstanceState.ERROR, 0);
        assertTrue(error.message().startsWith("the Ray worker of instance d on subordinate worker w-other exited "
                + "with code 134 (3 times in a row) before it listened on port 26222; last log lines:\n"),
                error.message());
        assertTrue(error.message().contains("ray stand-in: the worker crashes"), error.message());
        assertEquals(1, subSink.size(), subSink.toString());
    }

    @Test
    void aSubordinateGivenNoMainWorkerAddressSaysSo() throws Exception {
        BackendSupervisor sub = sub(true);

        publish(distributed(InstanceState.SCHEDULED, 0).withWorkerAddress(null), sub);

        assertEquals("the Ray worker of instance d cannot start: the address of main worker w-me-name (w-me), where "
                + "the Ray head runs, is unknown to this worker: the instance's InstanceChanged carries no "
                + "workerAddress (a scheduler older than that field, or the main worker's heartbeat gave no address "
                + "when it was placed)", await(subSink, InstanceState.ERROR, 0).message());
        assertFalse(Files.exists(subRecords.resolve("worker-26222.argv")), "no Ray worker was started");
    }
}
