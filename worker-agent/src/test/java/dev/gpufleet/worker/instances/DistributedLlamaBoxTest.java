package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.processes.Leftover;
import dev.gpufleet.worker.testing.StandInBackend;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.gpufleet.worker.instances.StandInChecks.listening;

/**
 * A llama-box instance spread over two workers, each a real {@link BackendSupervisor} with its own data dir and
 * backend ports, both fed the same events: the subordinate ({@code OTHER}) runs stand-in RPC servers, the main
 * ({@code ME}) runs a stand-in llama-box that connects to them through {@code --rpc} before it answers /health.
 */
class DistributedLlamaBoxTest {
    private static final String MAIN_PORTS = "26180-26184";
    private static final String SUB_PORTS = "26185-26189";
    /** The same on every worker: the main derives the subordinate's RPC ports from its own setting. */
    private static final String RPC_PORTS = "26190-26197";
    private static final List<GpuDevice> SUB_GPUS = List.of(
            new GpuDevice(0, "nvidia", "cuda", "NVIDIA L4", "uuid-0", 24L << 30, 0, 0.0),
            new GpuDevice(1, "nvidia", "cuda", "NVIDIA L4", "uuid-1", 24L << 30, 0, 0.0));

    @TempDir
    Path dir;

    private Path rpcRecords;
    private Path mainBinary;
    private Path subBinary;
    private final List<BackendSupervisor> supervisors = new ArrayList<>();
    private final List<InstanceObserved> mainSink = new CopyOnWriteArrayList<>();
    private final List<InstanceObserved> subSink = new CopyOnWriteArrayList<>();
    private final AtomicLong revision = new AtomicLong();

    @BeforeEach
    void installStandIns() throws IOException {
        rpcRecords = Files.createDirectories(dir.resolve("rpc-records"));
        mainBinary = StandIns.install(dir.resolve("main-bin"), "llama-box");
        subBinary = StandIns.install(dir.resolve("sub-bin"), "llama-box",
                Map.of("GPUFLEET_TEST_RPC_DIR", rpcRecords.toString()));
    }

    @AfterEach
    void closeSupervisors() {
        supervisors.forEach(BackendSupervisor::close);
    }

    private BackendSupervisor supervisor(String workerId, String ports, List<GpuDevice> gpus, Path binary,
                                         List<InstanceObserved> sink) throws IOException {
        Path dataDir = Files.createDirectories(dir.resolve("data-" + workerId));
        BackendSupervisor supervisor = new BackendSupervisor(new SupervisorSettings(workerId, dataDir, "127.0.0.1",
                ports, gpus, () -> new BinaryChoice(List.of(binary.toString()), null), Duration.ofSeconds(5),
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3),
                backend -> new BinaryChoice(List.of(), "no " + backend), null, RPC_PORTS, Duration.ofSeconds(1)),
                sink::add, Clock.systemUTC());
        supervisor.start();
        supervisors.add(supervisor);
        return supervisor;
    }

    private InstanceChanged distributed(Path model, InstanceState state, int restartCount) {
        InstanceChanged base = Instances.instance("d", ME, state, restartCount,
                Instances.plan(model.toString(), List.of(), Map.of()));
        return new InstanceChanged(base.instanceId(), base.name(), base.modelId(), base.modelName(), ME,
                base.workerName(), List.of(), List.of(new SubordinateWorker(OTHER, List.of(0, 1),
                new ResourceClaim(0, Map.of(0, 1L << 30, 1, 1L << 30)), "127.0.0.1")), base.claim(), state, null,
                null, restartCount, base.launchPlan());
    }

    private void publish(EventPayload payload, BackendSupervisor... to) {
        Envelope<EventPayload> envelope = Envelope.of(payload, revision.incrementAndGet(), Clock.systemUTC());
        for (BackendSupervisor supervisor : to) {
            supervisor.accept(envelope);
        }
    }

    private InstanceObserved awaitObservation(List<InstanceObserved> sink, InstanceState state) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .filter(o -> o.instanceId().equals("d") && o.state() == state).findFirst().orElse(null),
                o -> o != null);
    }

    private long rpcServerPid(String workerId, int gpu) throws IOException {
        Path file = dir.resolve("data-" + workerId).resolve(SubordinateLeftovers.PID_DIR)
                .resolve("d.gpu" + gpu + ".pid");
        return Leftover.parse(Files.readString(file)).orElseThrow().pid();
    }

    @Test
    void theSubordinatesRpcServersListenAndTheMainLlamaBoxUsesThemThenDeletingStopsBoth() throws Exception {
        BackendSupervisor main = supervisor(ME, MAIN_PORTS, List.of(), mainBinary, mainSink);
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, SUB_GPUS, subBinary, subSink);
        Path model = StandInBackend.modelFile(dir, "big.gguf", "healthy-after-ms=0", "rpc-wait-ms=10000");

        publish(distributed(model, InstanceState.SCHEDULED, 0), main, sub);

        InstanceObserved running = awaitObservation(mainSink, InstanceState.RUNNING);
        assertEquals(26180, running.port());
        await().atMost(Duration.ofSeconds(10)).until(() -> listening(26190) && listening(26191));
        List<String> mainArgs = StandInBackend.recordedArgs(model);
        int rpc = mainArgs.indexOf("--rpc");
        assertTrue(rpc >= 0, mainArgs.toString());
        assertEquals("127.0.0.1:26190,127.0.0.1:26191", mainArgs.get(rpc + 1));
        assertTrue(Files.readString(dir.resolve("data-" + ME).resolve("logs").resolve("d-name.log"))
                .contains("connected to RPC server 127.0.0.1:26191"));
        for (int gpu = 0; gpu < 2; gpu++) {
            List<String> args = Files.readAllLines(rpcRecords.resolve("rpc-" + (26190 + gpu) + ".argv"));
            assertEquals(List.of("--rpc-server-host", "127.0.0.1", "--rpc-server-port", String.valueOf(26190 + gpu),
                    "--rpc-server-main-gpu", "0", "--origin-rpc-server-main-gpu", String.valueOf(gpu)), args);
            List<String> env = Files.readAllLines(rpcRecords.resolve("rpc-" + (26190 + gpu) + ".env"));
            assertTrue(env.contains("CUDA_VISIBLE_DEVICES=" + gpu), "each server sees only its GPU: " + env);
        }
        assertTrue(subSink.isEmpty(), "the subordinate reports nothing about the instance: " + subSink);
        assertEquals(List.of(), sub.observed(), "nor in its heartbeat");
        long rpcPid = rpcServerPid(OTHER, 0);

        publish(new InstanceDeleted("d", "m-demo", ME), main, sub);

        await().atMost(Duration.ofSeconds(15)).until(() -> !listening(26190) && !listening(26191)
                && !listening(26180));
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(rpcPid).map(p -> !p.isAlive())
                .orElse(true));
        assertFalse(Files.exists(dir.resolve("data-" + OTHER).resolve(SubordinateLeftovers.PID_DIR)
                .resolve("d.gpu0.pid")));
        assertTrue(subSink.isEmpty(), subSink.toString());
    }

    @Test
    void anRpcServerThatExitsIsRestartedOnItsPortWithoutAReport() throws Exception {
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, SUB_GPUS, subBinary, subSink);
        publish(distributed(dir.resolve("m.gguf"), InstanceState.RUNNING, 0), sub);
        await().atMost(Duration.ofSeconds(10)).until(() -> listening(26190) && listening(26191));
        long first = rpcServerPid(OTHER, 1);
        Thread.sleep(SubordinateServers.MIN_UPTIME.toMillis() + 500); // an exit sooner would count as a failed start

        ProcessHandle.of(first).orElseThrow().destroyForcibly();

        await().atMost(Duration.ofSeconds(15)).until(() -> {
            try {
                return rpcServerPid(OTHER, 1) != first && listening(26191);
            } catch (IOException e) {
                return false; // between the exit and the restart there is no pid file
            }
        });
        assertTrue(subSink.isEmpty(), subSink.toString());
    }

    @Test
    void anRpcServerThatCannotListenPutsTheInstanceInErrorWithTheReason() throws Exception {
        BackendSupervisor sub = supervisor(OTHER, SUB_PORTS, SUB_GPUS, subBinary, subSink);
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 26190));

            publish(distributed(dir.resolve("m.gguf"), InstanceState.SCHEDULED, 2), sub);

            InstanceObserved error = awaitObservation(subSink, InstanceState.ERROR);
            assertEquals(OTHER, error.workerId());
            assertEquals(2, error.restartCount());
            // whether the agent saw the port (held by this test) answer before the server exited is a race
            assertTrue(error.message().matches("(?s)the RPC server of GPU 0 on subordinate worker " + OTHER
                    + " exited with code 1 (before it listened|within 3s of its start) on port 26190; last log "
                    + "lines:\n.*"), error.message());
            assertTrue(error.message().contains("cannot listen on 127.0.0.1:26190"), error.message());
        }
        assertEquals(1, subSink.size(), "GPU 1's server is fine: " + subSink);
        await().atMost(Duration.ofSeconds(10)).until(() -> listening(26191));
    }

    @Test
    void aRestartedAgentAdoptsTheRpcServersItLeftRunning() throws Exception {
        BackendSupervisor crashed = supervisor(OTHER, SUB_PORTS, SUB_GPUS, subBinary, subSink);
        InstanceChanged instance = distributed(dir.resolve("m.gguf"), InstanceState.RUNNING, 0);
        publish(instance, crashed);
        await().atMost(Duration.ofSeconds(10)).until(() -> listening(26190) && listening(26191));
        long pid = rpcServerPid(OTHER, 0);

        crashed.abandon();
        supervisors.remove(crashed);
        BackendSupervisor restarted = supervisor(OTHER, SUB_PORTS, SUB_GPUS, subBinary, subSink);
        publish(instance, restarted);

        Thread.sleep(1_500); // past the adoption grace: a leftover not adopted would be stopped by now
        assertEquals(pid, rpcServerPid(OTHER, 0));
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(listening(26190));

        restarted.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
}
