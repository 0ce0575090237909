package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.worker.backend.BinaryChoice;
import dev.gpufleet.worker.processes.Leftover;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static dev.gpufleet.worker.instances.Instances.ME;
import static dev.gpufleet.worker.instances.Instances.OTHER;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor without Kafka: real stand-in processes, observations collected in a list. */
class BackendSupervisorTest {
    /**
     * Fixed ports in tests lie below Linux's ephemeral range (32768-60999), where any outgoing connection of the test
     * JVM or a broker could hold one for a while (seen in CI: a Ray head that could not bind, a backend given the
     * next port).
     */
    private static final String PORTS = "26140-26149";
    private static final Duration ADOPTION_GRACE = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private Path dataDir;
    private Path binary;
    private final List<BackendSupervisor> supervisors = new ArrayList<>();
    private final AtomicLong revision = new AtomicLong();

    @BeforeEach
    void installStandIn() throws Exception {
        dataDir = Files.createDirectories(dir.resolve("data"));
        binary = StandIns.install(dir.resolve("bin"), "llama-box");
    }

    @AfterEach
    void closeSupervisors() {
        supervisors.forEach(BackendSupervisor::close);
    }

    private BackendSupervisor supervisor(List<InstanceObserved> sink, Duration startTimeout) {
        BackendSupervisor supervisor = new BackendSupervisor(new SupervisorSettings(ME, dataDir, "127.0.0.1", PORTS,
                List.of(), () -> new BinaryChoice(List.of(binary.toString()), null), startTimeout,
                Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(3), ADOPTION_GRACE), sink::add,
                Clock.systemUTC());
        supervisor.start();
        supervisors.add(supervisor);
        return supervisor;
    }

    private InstanceChanged instance(String id, Path model, String workerId, InstanceState state, int restartCount) {
        return Instances.instance(id, workerId, state, restartCount,
                Instances.plan(model.toString(), List.of(), Map.of()));
    }

    private void publish(BackendSupervisor supervisor, InstanceChanged instance) {
        supervisor.accept(Envelope.of(instance, revision.incrementAndGet(), Clock.systemUTC()));
    }

    private static InstanceObserved awaitObservation(List<InstanceObserved> sink, String id, InstanceState state,
                                                     int restartCount) {
        return await().atMost(Duration.ofSeconds(30)).until(() -> sink.stream()
                .filter(o -> o.instanceId().equals(id) && o.state() == state && o.restartCount() == restartCount)
                .findFirst().orElse(null), o -> o != null);
    }

    private static void awaitGone(long pid) {
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void aBackendThatNeverBecomesHealthyIsKilledAtTheStartTimeoutAndItsPortIsFreed() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor supervisor = supervisor(sink, Duration.ofSeconds(3));
        Path model = StandInBackend.modelFile(dir, "slow.gguf", "never-healthy=true", "say=loading tensors");

        publish(supervisor, instance("slow", model, ME, InstanceState.SCHEDULED, 0));

        InstanceObserved starting = awaitObservation(sink, "slow", InstanceState.STARTING, 0);
        assertTrue(starting.port() >= 26140 && starting.port() <= 26149, "a port of the range: " + starting.port());
        InstanceObserved error = awaitObservation(sink, "slow", InstanceState.ERROR, 0);
        assertTrue(error.message().startsWith("backend did not answer GET /health with 200 within 3s "
                + "(gpufleet.worker.start-timeout; last probe: "), error.message());
        assertTrue(error.message().contains("; it was killed; last log lines:\n"), error.message());
        assertTrue(error.message().contains("loading tensors"), error.message());
        awaitGone(starting.pid());
        assertEquals(List.of(new ObservedInstance("slow", InstanceState.ERROR)), supervisor.observed());

        Path healthy = StandInBackend.modelFile(dir, "ok.gguf", "healthy-after-ms=0");
        publish(supervisor, instance("next", healthy, ME, InstanceState.SCHEDULED, 0));
        assertEquals(starting.port(), awaitObservation(sink, "next", InstanceState.STARTING, 0).port(),
                "the port was freed");
    }

    @Test
    void aHigherRestartCountRestartsARunningBackend() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor supervisor = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");

        publish(supervisor, instance("r", model, ME, InstanceState.SCHEDULED, 0));
        long firstPid = awaitObservation(sink, "r", InstanceState.RUNNING, 0).pid();
        publish(supervisor, instance("r", model, ME, InstanceState.RUNNING, 0));
        publish(supervisor, instance("r", model, ME, InstanceState.SCHEDULED, 1));

        InstanceObserved running = awaitObservation(sink, "r", InstanceState.RUNNING, 1);
        assertTrue(running.pid() != firstPid);
        assertFalse(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(List.of(InstanceState.STARTING, InstanceState.RUNNING, InstanceState.STARTING,
                InstanceState.RUNNING), sink.stream().map(InstanceObserved::state).toList(), "no ERROR between");
    }

    @Test
    void anInstanceMovedToAnotherWorkerIsStoppedQuietly() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor supervisor = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        publish(supervisor, instance("mv", model, ME, InstanceState.SCHEDULED, 0));
        long pid = awaitObservation(sink, "mv", InstanceState.RUNNING, 0).pid();
        assertEquals(List.of(new ObservedInstance("mv", InstanceState.RUNNING)), supervisor.observed());

        publish(supervisor, instance("mv", model, OTHER, InstanceState.SCHEDULED, 0));

        awaitGone(pid);
        await().atMost(Duration.ofSeconds(5)).until(supervisor::observed, List::isEmpty);
        assertEquals(2, sink.size(), "nothing reported for an instance that is not ours any more: " + sink);
        assertFalse(Files.exists(dataDir.resolve("backends").resolve("mv.pid")));
    }

    @Test
    void backendsLeftByACrashedAgentAreStoppedByTheNextOne() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor crashed = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        publish(crashed, instance("left", model, ME, InstanceState.SCHEDULED, 0));
        long pid = awaitObservation(sink, "left", InstanceState.RUNNING, 0).pid();
        assertTrue(Files.exists(dataDir.resolve("backends").resolve("left.pid")));
        crashed.abandon();

        BackendSupervisor next = supervisor(new CopyOnWriteArrayList<>(), Duration.ofSeconds(30));
        publish(next, Instances.placed("unrelated", OTHER, InstanceState.RUNNING, 0));

        awaitGone(pid);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(dataDir.resolve("backends/left.pid")));
    }

    @Test
    void aBackendStillWantedAfterAnAgentCrashIsAdoptedWithoutARestart() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor crashed = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        InstanceChanged kept = instance("kept", model, ME, InstanceState.SCHEDULED, 2);
        publish(crashed, kept);
        InstanceObserved running = awaitObservation(sink, "kept", InstanceState.RUNNING, 2);
        crashed.abandon();
        String logBefore = Files.readString(dataDir.resolve("logs/kept-name.log"));

        List<InstanceObserved> after = new CopyOnWriteArrayList<>();
        BackendSupervisor next = supervisor(after, Duration.ofSeconds(30));
        publish(next, instance("kept", model, ME, InstanceState.RUNNING, 2));

        InstanceObserved adopted = awaitObservation(after, "kept", InstanceState.RUNNING, 2);
        assertEquals(running.pid(), adopted.pid(), "the same process");
        assertEquals(running.port(), adopted.port());
        assertEquals(List.of(InstanceState.RUNNING), after.stream().map(InstanceObserved::state).toList(),
                "no STARTING: nothing was started");
        assertEquals(logBefore, Files.readString(dataDir.resolve("logs/kept-name.log")), "no second start line");
        await().atMost(Duration.ofSeconds(5)).until(next::observed,
                List.of(new ObservedInstance("kept", InstanceState.RUNNING))::equals);
        Thread.sleep(ADOPTION_GRACE.toMillis() + 500);
        assertTrue(ProcessHandle.of(running.pid()).map(ProcessHandle::isAlive).orElse(false),
                "still running after the grace");

        // adopted backends are supervised like any other: the scheduler's restart replaces it
        publish(next, instance("kept", model, ME, InstanceState.SCHEDULED, 3));
        InstanceObserved restarted = awaitObservation(after, "kept", InstanceState.RUNNING, 3);
        assertTrue(restarted.pid() != running.pid());
        awaitGone(running.pid());
    }

    @Test
    void aLeftoverOfALaterRestartWaitsForItsRecordBehindAnOlderOneOfTheInstance() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor crashed = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        publish(crashed, instance("kept", model, ME, InstanceState.SCHEDULED, 1));
        InstanceObserved running = awaitObservation(sink, "kept", InstanceState.RUNNING, 1);
        crashed.abandon();

        // the compacted topic still holds the instance's restart 0 before its restart 1, and the agent reads
        // the older one first
        List<InstanceObserved> after = new CopyOnWriteArrayList<>();
        BackendSupervisor next = supervisor(after, Duration.ofSeconds(30));
        publish(next, instance("kept", model, ME, InstanceState.RUNNING, 0));
        Thread.sleep(500); // past the first decision (100 ms), within the grace (1 s): a stop would have come by now
        assertTrue(ProcessHandle.of(running.pid()).map(ProcessHandle::isAlive).orElse(false),
                "the leftover of restart 1 waits for the rest of the topic");
        assertTrue(after.stream().noneMatch(o -> o.restartCount() == 0), "restart 0 not started: " + after);
        publish(next, instance("kept", model, ME, InstanceState.RUNNING, 1));

        InstanceObserved adopted = awaitObservation(after, "kept", InstanceState.RUNNING, 1);
        assertEquals(running.pid(), adopted.pid(), "the same process, adopted");
    }

    @Test
    void leftoversTheSchedulerNoLongerWantsHereAreStoppedWithTheirTrees() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor crashed = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        publish(crashed, instance("moved", model, ME, InstanceState.SCHEDULED, 0));
        publish(crashed, instance("older", model, ME, InstanceState.SCHEDULED, 0));
        publish(crashed, instance("forgotten", model, ME, InstanceState.SCHEDULED, 0));
        long moved = awaitObservation(sink, "moved", InstanceState.RUNNING, 0).pid();
        long older = awaitObservation(sink, "older", InstanceState.RUNNING, 0).pid();
        long forgotten = awaitObservation(sink, "forgotten", InstanceState.RUNNING, 0).pid();
        crashed.abandon();

        List<InstanceObserved> after = new CopyOnWriteArrayList<>();
        BackendSupervisor next = supervisor(after, Duration.ofSeconds(30));
        publish(next, instance("moved", model, OTHER, InstanceState.SCHEDULED, 0));
        publish(next, instance("older", model, ME, InstanceState.SCHEDULED, 1));

        awaitGone(moved);
        awaitGone(older);
        InstanceObserved restarted = awaitObservation(after, "older", InstanceState.RUNNING, 1);
        assertTrue(restarted.pid() != older);
        assertTrue(ProcessHandle.of(forgotten).map(ProcessHandle::isAlive).orElse(false), "waits for the grace");
        awaitGone(forgotten);
        await().atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(dataDir.resolve("backends/forgotten.pid"))
                && !Files.exists(dataDir.resolve("backends/moved.pid")));
        assertTrue(after.stream().noneMatch(o -> o.state() == InstanceState.ERROR), "a stop is no error: " + after);
    }

    @Test
    void stalePidFilesAreRemovedAndNeverActedOn() throws Exception {
        Path pids = Files.createDirectories(dataDir.resolve("backends"));
        long self = ProcessHandle.current().pid();
        // this JVM's pid with a wrong start time: a reused pid that must not be stopped
        Files.writeString(pids.resolve("reused.pid"), new Leftover(self, 12345L, 26141, 0, 0, "reused").line());
        Files.writeString(pids.resolve("gone.pid"), new Leftover(Long.MAX_VALUE - 1, 1L, 26142, 0, 0, "gone").line());
        Files.writeString(pids.resolve("garbled.pid"), "not a pid file\n");

        BackendSupervisor next = supervisor(new CopyOnWriteArrayList<>(), Duration.ofSeconds(30));
        publish(next, Instances.placed("unrelated", OTHER, InstanceState.RUNNING, 0));

        await().atMost(Duration.ofSeconds(5)).until(() -> {
            try (var files = Files.list(pids)) {
                return files.findAny().isEmpty();
            }
        });
    }

    @Test
    void closingStopsEveryBackend() throws Exception {
        List<InstanceObserved> sink = new CopyOnWriteArrayList<>();
        BackendSupervisor supervisor = supervisor(sink, Duration.ofSeconds(30));
        Path model = StandInBackend.modelFile(dir, "m.gguf", "healthy-after-ms=0");
        publish(supervisor, instance("a", model, ME, InstanceState.SCHEDULED, 0));
        publish(supervisor, instance("b", model, ME, InstanceState.SCHEDULED, 0));
        long a = awaitObservation(sink, "a", InstanceState.STARTING, 0).pid();
        long b = awaitObservation(sink, "b", InstanceState.STARTING, 0).pid();

        supervisor.close();

        assertFalse(ProcessHandle.of(a).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(ProcessHandle.of(b).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(sink.stream().noneMatch(o -> o.state() == InstanceState.ERROR), "a stop is no error: " + sink);
    }
}
