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
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.backend.MindieConfig;
import dev.gpufleet.worker.backend.MindieSettings;
import dev.gpufleet.worker.backend.RaySettings;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.gpufleet.worker.instances.StandInChecks.listening;
import static dev.gpufleet.worker.instances.StandInChecks.await;
import static dev.gpufleet.worker.instances.StandInChecks.env;

/**
 * A MindIE instance over two workers, each a real {@link BackendSupervisor} with its own data dir, both fed the same
 * events, running a stand-in MindIE daemon that checks its rank table and environment like the real one: the main
 * worker ({@code ME}, 127.0.0.1) writes the rank table and starts the master node, which serves only once every node
 * has joined; the subordinate ({@code OTHER}, 127.0.0.2, another loopback address of this host) starts its node only
 * once the instance is STARTING, as GPUStack's {@code initialize_later}.
 */
class MindieAcrossWorkersTest {
    private static final String MAIN_PORTS = "26340-26344";
    private static final String SUB_PORTS = "26345-26349";
    private static final String SUB_RPC_PORTS = "26350-26359";
    private static final int SUB_PORT = 26350;
    private static final int INTER_NODE = 26360;
    private static final List<GpuDevice> NPUS = List.of(
            new GpuDevice(0, "ascend", "npu", "Ascend 910B3", "0000:C1:00.0-chip0", 64L << 30, 0, 0.0, null),
            new GpuDevice(1, "ascend", "npu", "Ascend 910B3", "0000:C2:00.0-chip0", 64L << 30, 0, 0.0, null));

    @TempDir
    Path dir;

    private Path daemon;
    private Path model;
    private Path record;
    private final List<BackendSupervisor> supervisors = new ArrayList<>();
    private final List<InstanceObserved> mainSink = new CopyOnWriteArrayList<>();
    private final List<InstanceObserved> subSink = new CopyOnWriteArrayList<>();
    private final AtomicLong revision = new AtomicLong();

    @BeforeEach
    void installStandIns() throws IOException {
        daemon = StandIns.installEngine(dir.resolve("bin"), "mindieservice_daemon", "mindie");
        model = Files.createDirectories(dir.resolve("Qwen2.5-72B-Instruct"));
        record = dir.resolve("mindie-record");
    }

    @AfterEach
    void closeSupervisors() {
        supervisors.forEach(BackendSupervisor::close);
    }

    private BackendSupervisor supervisor(String workerId, String ports, List<InstanceObserved> sink)
            throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve("data-" + workerId));
        BackendSupervisor supervisor = new BackendSupervisor(new SupervisorSettings(workerId, dataDir, "127.0.0.1",
                ports, () -> NPUS, () -> new BinaryChoice(List.of(), "no llama-box"), Duration.ofSeconds(20),
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3),
                backend -> new BinaryChoice(List.of(daemon.toString()), null), null, SUB_RPC_PORTS,
                Duration.ofSeconds(1), RaySettings.LOCAL, new MindieSettings(INTER_NODE)), sink::add,
                Clock.systemUTC());
        supervisor.start();
        supervisors.add(supervisor);
        return supervisor;
    }

    /** What the scheduler places: NPUs 0 and 1 of both workers, with the addresses their heartbeats gave. */
    private InstanceChanged mindie(InstanceState state, int restartCount) {
        LaunchPlan plan = new LaunchPlan("ascend-mindie", null, ModelSource.localPath(model.toString()), List.of(),
                Map.of("GPUFLEET_TEST_RECORD", record.toString()), List.of("llm"));
        ResourceClaim claim = new ResourceClaim(1L << 30, Map.of(0, 58L << 30, 1, 58L << 30));
        return new InstanceChanged("m", "m-name", "m-qwen", "qwen", ME, ME + "-name", List.of(0, 1),
                List.of(new SubordinateWorker(OTHER, List.of(0, 1), claim, "127.0.0.2",
                        Map.of(0, "29.11.37.2", 1, "29.11.37.3"))),
                claim, state, null, null, restartCount, plan, null, "127.0.0.1",
                Map.of(0, "29.11.36.2", 1, "29.11.36.3"));
    }

    private void publish(EventPayload payload, BackendSupervisor... to) {
        Envelope<EventPayload> envelope = Envelope.of(payload, revision.incrementAndGet(), Clock.systemUTC());
        for (BackendSupervisor supervisor : to) {
            supervisor.accept(envelope);
        }
    }

    private Path node(String address) {
        return record.resolve(address);
    }

    @Test
    void theMainNodeStartsFirstTheSubordinateJoinsOnceItIsStartingAndDeletingStopsBoth() throws Exception {
        BackendSupervisor main = supervisor(ME, MAIN_PORTS, mainSink);
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, subSink);

        publish(mindie(InstanceState.SCHEDULED, 0), main, sub);
        InstanceObserved starting = await(mainSink, InstanceState.STARTING, 0);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> Files.isRegularFile(node("127.0.0.1").resolve("env")));
        Thread.sleep(1_000);
        assertFalse(Files.exists(node("127.0.0.2")), "the subordinate waits for the main node to be STARTING");
        assertTrue(mainSink.stream().noneMatch(o -> o.state() == InstanceState.RUNNING),
                "the master node serves only once every node joined: " + mainSink);

        publish(mindie(InstanceState.STARTING, 0), main, sub);
        InstanceObserved running = await(mainSink, InstanceState.RUNNING, 0);

        String rankTable = MindieConfig.rankTable(List.of(
                new MindieConfig.RankServer("127.0.0.1", List.of(new MindieConfig.RankDevice(0, "29.11.36.2"),
                        new MindieConfig.RankDevice(1, "29.11.36.3"))),
                new MindieConfig.RankServer("127.0.0.2", List.of(new MindieConfig.RankDevice(0, "29.11.37.2"),
                        new MindieConfig.RankDevice(1, "29.11.37.3")))));
        assertEquals(rankTable, Files.readString(node("127.0.0.1").resolve("ranktable.json")));
        assertEquals(rankTable, Files.readString(node("127.0.0.2").resolve("ranktable.json")));
        Map<String, String> mainEnv = env(node("127.0.0.1").resolve("env"));
        Map<String, String> subEnv = env(node("127.0.0.2").resolve("env"));
        assertEquals("4", mainEnv.get("WORLD_SIZE"));
        assertEquals("4", subEnv.get("WORLD_SIZE"));
        assertEquals("127.0.0.1", mainEnv.get("MIES_CONTAINER_IP"));
        assertEquals("127.0.0.2", subEnv.get("MIES_CONTAINER_IP"));
        assertEquals(dir.resolve("data-" + ME).resolve("instances/m/ranktable.json").toString(),
                mainEnv.get("RANKTABLEFILE"));
        assertEquals(dir.resolve("data-" + OTHER).resolve("instances/m/ranktable.json").toString(),
                subEnv.get("RANK_TABLE_FILE"));
        String subConfig = Files.readString(node("127.0.0.2").resolve("config.json"));
        assertTrue(subConfig.contains("\"port\" : " + SUB_PORT), subConfig);
        assertTrue(subConfig.contains("\"multiNodesInferPort\" : " + INTER_NODE), subConfig);
        assertTrue(Files.readString(node("127.0.0.1").resolve("config.json"))
                .contains("\"port\" : " + running.port()));
        assertTrue(listening(SUB_PORT));
        assertEquals(List.of(), subSink, "the subordinate reports only its failures");
        assertTrue(starting.port() == null || starting.port().equals(running.port()), starting::toString);

        publish(new InstanceDeleted("m", "m-qwen", ME), main, sub);

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !listening(running.port()) && !listening(SUB_PORT));
        assertFalse(Files.exists(dir.resolve("data-" + OTHER).resolve(SubordinateLeftovers.PID_DIR)
                .resolve(SubordinateLeftovers.pidFileName(RpcServerPlan.Key.mindieNode("m")))));
    }

    @Test
    void aSubordinateNodeThatCrashesReportsErrorAndTheMasterLosesIt() throws Exception {
        BackendSupervisor main = supervisor(ME, MAIN_PORTS, mainSink);
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, subSink);
        Files.createDirectories(node("127.0.0.2"));
        Files.writeString(node("127.0.0.2").resolve("behaviour.properties"), "crash=true\n");

        publish(mindie(InstanceState.SCHEDULED, 0), main, sub);
        await(mainSink, InstanceState.STARTING, 0);
        publish(mindie(InstanceState.STARTING, 0), main, sub);

        InstanceObserved error = await(subSink, InstanceState.ERROR, 0);
        assertTrue(error.message().startsWith("the MindIE node of instance m on subordinate worker w-other exited "
                + "with code 134 within 3s of its start on port " + SUB_PORT + "; last log lines:\n"),
                error.message());
        assertTrue(error.message().contains("mindie stand-in: crashing"), error.message());
        InstanceObserved mainError = await(mainSink, InstanceState.ERROR, 0);
        assertTrue(mainError.message().contains("node 127.0.0.2 left the cluster"), mainError.message());
    }

    @Test
    void anInstanceWithoutDeviceIpsFailsOnTheMainWorkerAndNothingStarts() throws Exception {
        BackendSupervisor main = supervisor(ME, MAIN_PORTS, mainSink);
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, subSink);

        publish(mindie(InstanceState.SCHEDULED, 0).withDeviceIps(Map.of()), main, sub);

        InstanceObserved error = await(mainSink, InstanceState.ERROR, 0);
        assertTrue(error.message().startsWith("MindIE across workers needs a rank table listing every NPU's device "
                + "IP on every worker: NPU 0 of main worker w-me-name (w-me), NPU 1 of main worker w-me-name (w-me) "
                + "have no device IP"), error.message());
        assertFalse(Files.exists(record), "no MindIE started anywhere");
        assertEquals(List.of(), subSink);
    }
}
