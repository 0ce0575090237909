package dev.gpufleet.worker.download;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.instances.BackendSupervisor;
import dev.gpufleet.worker.instances.Instances;
import dev.gpufleet.worker.instances.SupervisorSettings;
import dev.gpufleet.worker.testing.StandInBackend;
import dev.gpufleet.worker.testing.StandIns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The supervisor with the real downloader, a fake hub and stand-in llama-box processes: an instance with a hub
 * source goes DOWNLOADING (with progress), then STARTING on the downloaded file, then RUNNING; an agent stopped
 * mid-download resumes the part file when it starts again.
 */
class DownloadingSupervisionTest {
    private static final String PORTS = "26150-26159";
    private static final String REPO = "gpufleet/stand-in-GGUF";
    private static final String FILE = "stand-in-q4_k_m.gguf";

    @TempDir
    Path dir;

    private Path dataDir;
    private Path binary;
    private FakeHub hub;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final AtomicLong revision = new AtomicLong();

    @BeforeEach
    void setUp() throws Exception {
        dataDir = Files.createDirectories(dir.resolve("data"));
        binary = StandIns.install(dir.resolve("bin"), "llama-box");
        hub = new FakeHub();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        hub.close();
    }

    /** One run of the agent: a downloader and a supervisor over the same data dir. */
    private record Agent(BackendSupervisor supervisor, Downloader downloader) implements AutoCloseable {
        @Override
        public void close() {
            supervisor.close();
            downloader.close();
        }
    }

    private Agent agent(List<InstanceObserved> sink) {
        Downloader downloader = new Downloader(new DownloadSettings(dataDir.resolve("models"),
                Hub.huggingFace(hub.endpoint(), Optional.empty()), Hub.modelScope(hub.endpoint(), Optional.empty()),
                2, 0, Duration.ofSeconds(5), Duration.ofSeconds(30), 3, Duration.ofMillis(50), Duration.ofMillis(100)));
        BackendSupervisor supervisor = new BackendSupervisor(new SupervisorSettings(ME, dataDir, "127.0.0.1", PORTS,
                List.of(), () -> new BinaryChoice(List.of(binary.toString()), null), Duration.ofSeconds(30),
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3)), sink::add, Clock.systemUTC(),
                downloader);
        supervisor.start();
        Agent agent = new Agent(supervisor, downloader);
        open.add(agent);
        return agent;
    }

    private InstanceChanged instance(String id, String fileName) {
        LaunchPlan plan = new LaunchPlan("llama-box", null,
                new ModelSource(ModelSource.HUGGINGFACE, REPO, fileName, null, null, null, null), List.of(), Map.of(),
                List.of("llm"));
        return Instances.instance(id, ME, InstanceState.SCHEDULED, 0, plan);
    }

    private void publish(Agent agent, InstanceChanged instance) {
        agent.supervisor().accept(Envelope.of(instance, revision.incrementAndGet(), Clock.systemUTC()));
    }

    private static InstanceObserved awaitState(List<InstanceObserved> sink, String id, InstanceState state) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .filter(o -> o.instanceId().equals(id) && o.state() == state).findFirst().orElse(null), o -> o != null);
    }

    private Path target() {
        return dataDir.resolve("models").resolve("huggingface").resolve(REPO).resolve(FILE);
    }

    @Test
    void anAgentStoppedMidDownloadResumesItWhenStartedAgainAndTheInstanceRuns() throws Exception {
        byte[] model = FakeHub.standInModel(600_000, "healthy-after-ms=0");
        hub.put(REPO, FILE, model).bytesPer10Ms = 2_048;
        Path part = FileTransfer.partOf(target());
        List<InstanceObserved> first = new CopyOnWriteArrayList<>();
        Agent agent = agent(first);
        publish(agent, instance("dl", "*Q4_K_M.gguf"));
        await().atMost(Duration.ofSeconds(30)).until(() -> first.stream()
                .anyMatch(o -> o.state() == InstanceState.DOWNLOADING && o.downloadProgress() > 0.05));
        assertEquals(List.of(new ObservedInstance("dl", InstanceState.DOWNLOADING)), agent.supervisor().observed());

        agent.close();

        long kept = Files.size(part);
        assertTrue(kept > 0 && kept < model.length, "the part file stays: " + kept);
        assertTrue(first.stream().noneMatch(o -> o.state() == InstanceState.ERROR), "a stop is no error: " + first);

        List<InstanceObserved> second = new CopyOnWriteArrayList<>();
        Agent restarted = agent(second);
        publish(restarted, instance("dl", "*Q4_K_M.gguf"));

        InstanceObserved running = awaitState(second, "dl", InstanceState.RUNNING);
        assertEquals("bytes=" + kept + "-", hub.requestsFor(FILE).get(1).range(), "resumed: " + hub.requests);
        assertEquals(2, hub.requestsFor(FILE).size());
        assertArrayEquals(model, Files.readAllBytes(target()));
        List<String> argv = StandInBackend.recordedArgs(target());
        assertEquals(target().toString(), argv.get(argv.indexOf("-m") + 1), "started on the downloaded file");
        List<InstanceState> states = second.stream().map(InstanceObserved::state).distinct().toList();
        assertEquals(List.of(InstanceState.DOWNLOADING, InstanceState.STARTING, InstanceState.RUNNING), states);
        assertTrue(second.get(0).downloadProgress() == 0.0 && running.pid() != null);
    }

    @Test
    void aFailedDownloadPutsTheInstanceInErrorWithTheReason() throws Exception {
        hub.put(REPO, FILE, FakeHub.standInModel(1_000, "healthy-after-ms=0")).listedSha256 = "cd".repeat(32);
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        Agent agent = agent(sink);

        publish(agent, instance("bad", FILE));

        InstanceObserved error = awaitState(sink, "bad", InstanceState.ERROR);
        assertTrue(error.message().startsWith("model download failed: Hugging Face file " + FILE
                + ": checksum mismatch"), error.message());
        assertTrue(sink.stream().noneMatch(o -> o.state() == InstanceState.STARTING), "never started: " + sink);
        await().atMost(Duration.ofSeconds(5)).until(() -> agent.supervisor().observed()
                .equals(List.of(new ObservedInstance("bad", InstanceState.ERROR))));
    }

    @Test
    void aProjectorBesideTheModelIsPassedToLlamaBox() throws Exception {
        hub.put(REPO, FILE, FakeHub.standInModel(2_000, "healthy-after-ms=0"));
        hub.put(REPO, "mmproj-stand-in-f16.gguf", FakeHub.standInModel(500));
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();

        publish(agent(sink), instance("vl", FILE));

        awaitState(sink, "vl", InstanceState.RUNNING);
        List<String> argv = StandInBackend.recordedArgs(target());
        assertEquals(target().resolveSibling("mmproj-stand-in-f16.gguf").toString(),
                argv.get(argv.indexOf("--mmproj") + 1), String.join(" ", argv));
    }
}
