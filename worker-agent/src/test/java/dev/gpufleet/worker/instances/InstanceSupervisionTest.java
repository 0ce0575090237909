package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.localstack.testing.WithTestKafka;
import dev.gpufleet.worker.InstanceTopics;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.WorkerTopic;
import dev.gpufleet.worker.testing.StandInBackend;
import dev.gpufleet.worker.testing.StandInBackendResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent against the real broker, with a stand-in {@code llama-box} on its backend path: the test plays the
 * scheduler on gpufleet.instances and reads gpufleet.instance-status.
 */
@QuarkusTest
@WithTestKafka
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = StandInBackendResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class InstanceSupervisionTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "gpufleet.worker.data-dir")
    String dataDir;

    @TempDir
    Path models;

    private InstanceTopics topics;
    private String workerId;
    private final List<String> created = new ArrayList<>();

    @BeforeEach
    void connect() {
        topics = new InstanceTopics(bootstrapServers);
        workerId = await().atMost(Duration.ofSeconds(60)).until(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/worker").then().extract().path("worker_id"), id -> id != null);
    }

    @AfterEach
    void deleteWhatTheTestCreated() throws Exception {
        for (String id : created) {
            topics.publish(new InstanceDeleted(id, "m", workerId), 1_000);
            topics.tombstone(id);
        }
        topics.close();
        // later tests (HeartbeatTest) expect a worker that runs nothing
        await().atMost(PATIENCE).until(this::heartbeatInstances, List::isEmpty);
    }

    private InstanceChanged placed(String name, String modelName, List<Integer> gpus, int restartCount,
                                   LaunchPlan plan) {
        String id = UUID.randomUUID().toString();
        created.add(id);
        return Instances.instance(id, name, modelName, workerId, gpus, InstanceState.SCHEDULED, restartCount, plan);
    }

    private static InstanceChanged again(InstanceChanged instance, InstanceState state, int restartCount) {
        return new InstanceChanged(instance.instanceId(), instance.name(), instance.modelId(), instance.modelName(),
                instance.workerId(), instance.workerName(), instance.gpuIndexes(), instance.subordinateWorkers(),
                instance.claim(), state, null, null, restartCount, instance.launchPlan());
    }

    private static LaunchPlan plan(Path model, List<String> parameters, Map<String, String> env) {
        return new LaunchPlan("llama-box", null, ModelSource.localPath(model.toString()), parameters, env,
                List.of("llm"));
    }

    private Envelope<InstanceObserved> awaitObserved(String id, InstanceState state, int restartCount) {
        return await().atMost(PATIENCE).until(() -> topics.observationsOf(id).stream()
                .filter(e -> e.payload().state() == state && e.payload().restartCount() == restartCount)
                .findFirst().orElse(null), e -> e != null);
    }

    /** How the latest heartbeat on gpufleet.workers lists the instance; null when it does not. */
    private ObservedInstance lastListing(WorkerTopic workers, String instanceId) throws Exception {
        List<Envelope<WorkerReported>> beats = workers.heartbeatsOf(workerId);
        return beats.isEmpty() ? null : beats.get(beats.size() - 1).payload().instances().stream()
                .filter(i -> i.instanceId().equals(instanceId)).findFirst().orElse(null);
    }

        private static void awaitGone(long pid, int port) {
        await().atMost(PATIENCE).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        assertThrows(IOException.class, () -> new Socket("127.0.0.1", port).close(), "port " + port + " closed");
    }

    /** The instances of the agent's latest report; asserted in plain Java, so polling logs no failed requests. */
    private List<Map<String, String>> heartbeatInstances() {
        return given().auth().oauth2(TOKEN).get("/api/v1/worker").then().extract().jsonPath().getList("instances");
    }

    private void awaitHeartbeatLists(String id, String state) {
        await().atMost(PATIENCE).until(this::heartbeatInstances,
                instances -> instances.contains(Map.of("instance_id", id, "state", state)));
    }

    @Test
    void aPlacedInstanceStartsWithTheExactCommandLineAndRunsUntilItIsDeleted() throws Exception {
        Path model = StandInBackend.modelFile(models, "chat.gguf", "healthy-after-ms=400",
                "say=stand-in: model loaded");
        InstanceChanged instance = placed("demo-chat-1a2b", "demo-chat", List.of(1), 0, plan(model,
                List.of("--ctx-size=4096", "--seed", "42", "--port", "1234"),
                Map.of("CUDA_VISIBLE_DEVICES", "7", "GPUFLEET_TEST_SECRET", "s3cr3t-value")));
        topics.publish(instance, 1);

        Envelope<InstanceObserved> starting = awaitObserved(instance.instanceId(), InstanceState.STARTING, 0);
        Envelope<InstanceObserved> running = awaitObserved(instance.instanceId(), InstanceState.RUNNING, 0);

        InstanceObserved observed = starting.payload();
        int port = observed.port();
        assertTrue(port >= 26100 && port <= 26139, "from the test port range: " + port);
        assertEquals(workerId, observed.workerId());
        assertEquals("warning: backend parameter --port was ignored: the agent assigns the port from "
                + "gpufleet.worker.port-range; env CUDA_VISIBLE_DEVICES was overridden: the agent sets it from the "
                + "instance's GPUs", observed.message());
        assertEquals(observed.pid(), running.payload().pid());
        assertEquals(port, running.payload().port());
        assertTrue(running.revision() > starting.revision());
        assertTrue(Files.exists(Path.of(dataDir, ObservationPublisher.REVISION_FILE)),
                "observation revisions are reserved in the data dir, so they grow across agent restarts");

        // llama-box has no API-key option: it listens on loopback, on a port of its own, behind the agent's proxy
        List<String> args = StandInBackend.recordedArgs(model);
        int backendPort = Integer.parseInt(args.get(3));
        assertTrue(backendPort != port, args.toString());
        assertEquals(List.of("--host", "127.0.0.1", "--port", String.valueOf(backendPort), "-m", model.toString(),
                "--alias", "demo-chat", "-np", "4", "-ngl", "999", "--ctx-size", "4096", "--seed", "42"), args);
        String key = dev.gpufleet.kit.auth.InstanceApiKeys.forInstance(
                dev.gpufleet.localstack.testing.TestClusterToken.BACKEND_KEY_SECRET, running.payload().instanceId());
        assertTrue(args.stream().noneMatch(a -> a.contains(key)), "no key on the command line");
        assertEquals(List.of("ASCEND_RT_VISIBLE_DEVICES=", "CUDA_VISIBLE_DEVICES=1",
                "GPUFLEET_TEST_SECRET=s3cr3t-value", "HIP_VISIBLE_DEVICES="), StandInBackend.recordedEnv(model));
        String log = Files.readString(Path.of(dataDir, "logs", "demo-chat-1a2b.log"));
        assertTrue(log.contains("stand-in: model loaded"), log);
        awaitHeartbeatLists(instance.instanceId(), "RUNNING");

        topics.publish(new InstanceDeleted(instance.instanceId(), instance.modelId(), workerId), 2);
        topics.tombstone(instance.instanceId());

        awaitGone(observed.pid(), port);
        assertEquals(List.of("STARTING", "RUNNING"), transitions(topics.observationsOf(instance.instanceId()).stream()
                .map(e -> e.payload().state().name()).toList()), "a deletion is not an error");
    }

    @Test
    void aLateOlderChangeAfterTheTombstoneDoesNotStartTheDeletedInstanceAgain() throws Exception {
        Path model = StandInBackend.modelFile(models, "late.gguf", "healthy-after-ms=200");
        InstanceChanged instance = placed("late-1", "late", List.of(), 0, plan(model, List.of(), Map.of()));
        topics.publish(instance, 1);
        InstanceObserved running = awaitObserved(instance.instanceId(), InstanceState.RUNNING, 0).payload();
        topics.publish(new InstanceDeleted(instance.instanceId(), instance.modelId(), workerId), 2);
        topics.tombstone(instance.instanceId());
        awaitGone(running.pid(), running.port());

        // a relay hand-over publishes the older change again, after the tombstone
        topics.publish(instance, 1);
        // then another instance on the same (single) partition: once it runs, the late change was applied or not
        InstanceChanged after = placed("late-2", "late", List.of(), 0, plan(model, List.of(), Map.of()));
        topics.publish(after, 1);
        awaitObserved(after.instanceId(), InstanceState.RUNNING, 0);
        awaitHeartbeatLists(after.instanceId(), "RUNNING");

        assertEquals(List.of("STARTING", "RUNNING"), transitions(topics.observationsOf(instance.instanceId()).stream()
                .map(e -> e.payload().state().name()).toList()), "the deleted instance did not start again");
        assertFalse(heartbeatInstances().stream().anyMatch(i -> instance.instanceId().equals(i.get("instance_id"))),
                "the agent does not list it: " + heartbeatInstances());
    }

    @Test
    void aBackendThatExitsIsInErrorWithTheCodeAndItsLastLinesAndStartsAgainOnTheSchedulersRestart()
            throws Exception {
        Path model = StandInBackend.modelFile(models, "crash.gguf", "never-healthy=true", "exit-code=3",
                "exit-after-ms=300",
                "say=stand-in: loading model|stand-in: fatal: out of memory");
        InstanceChanged instance = placed("crash-1", "crash", List.of(), 0, plan(model, List.of(), Map.of()));
        topics.publish(instance, 1);

        long firstPid = awaitObserved(instance.instanceId(), InstanceState.STARTING, 0).payload().pid();
        Envelope<InstanceObserved> errorEvent = awaitObserved(instance.instanceId(), InstanceState.ERROR, 0);
        InstanceObserved error = errorEvent.payload();

        assertTrue(error.message().startsWith("backend exited with code 3; last log lines:\n"), error.message());
        assertTrue(error.message().contains("stand-in: fatal: out of memory\n"), error.message());
        assertTrue(error.message().endsWith("stand-in: exiting with code 3"), error.message());
        assertNull(error.port());
        awaitHeartbeatLists(instance.instanceId(), "ERROR");
        // every heartbeat repeats that observation with its revision: the scheduler can apply it had it been lost
        try (WorkerTopic workers = new WorkerTopic(bootstrapServers)) {
            ObservedInstance listed = await().atMost(PATIENCE).until(() -> lastListing(workers, instance.instanceId()),
                    entry -> entry != null && entry.state() == InstanceState.ERROR);
            assertEquals(ObservedInstance.repeating(error, errorEvent.revision()), listed);
            assertEquals(error, listed.asObservation(workerId));
        }

        // the scheduler applies ERROR, waits its backoff and places the instance again with restartCount + 1
        topics.publish(again(instance, InstanceState.ERROR, 0), 2);
        topics.publish(again(instance, InstanceState.SCHEDULED, 1), 3);

        InstanceObserved restarted = awaitObserved(instance.instanceId(), InstanceState.STARTING, 1).payload();
        assertTrue(restarted.pid() != firstPid);
        awaitObserved(instance.instanceId(), InstanceState.ERROR, 1);
        assertEquals(List.of("STARTING/0", "ERROR/0", "STARTING/1", "ERROR/1"),
                topics.observationsOf(instance.instanceId()).stream()
                        .map(e -> e.payload().state() + "/" + e.payload().restartCount()).toList());
    }

    @Test
    void aHungBackendIsKilledAfterThreeFailedProbesAndStartsAgainOnTheSchedulersRestart() throws Exception {
        Path model = StandInBackend.modelFile(models, "hang.gguf", "hang-after-ms=2500");
        InstanceChanged instance = placed("hang-1", "hang", List.of(), 0, plan(model, List.of(), Map.of()));
        topics.publish(instance, 1);

        InstanceObserved running = awaitObserved(instance.instanceId(), InstanceState.RUNNING, 0).payload();
        Envelope<InstanceObserved> errorEvent = awaitObserved(instance.instanceId(), InstanceState.ERROR, 0);
        InstanceObserved error = errorEvent.payload();

        assertTrue(error.message().startsWith("backend stopped answering GET /health: 3 probes in a row failed "
                + "(last: no answer within 300 ms); it was killed; last log lines:\n"), error.message());
        assertTrue(error.message().contains("stand-in: listening on 127.0.0.1:"), error.message());
        awaitGone(running.pid(), running.port());

        // the scheduler applies ERROR, waits its backoff (DESIGN §3) and places the instance again
        topics.publish(again(instance, InstanceState.ERROR, 0), 2);
        topics.publish(again(instance, InstanceState.SCHEDULED, 1), 3);

        InstanceObserved again = awaitObserved(instance.instanceId(), InstanceState.RUNNING, 1).payload();
        assertTrue(again.pid() != running.pid(), "a new process");
        awaitObserved(instance.instanceId(), InstanceState.ERROR, 1);
        // a RUNNING backend is measured at its first liveness probe and reported again with its memory: the
        // transitions are what counts here
        assertEquals(List.of("STARTING/0", "RUNNING/0", "ERROR/0", "STARTING/1", "RUNNING/1", "ERROR/1"),
                transitions(topics.observationsOf(instance.instanceId()).stream()
                        .map(e -> e.payload().state() + "/" + e.payload().restartCount()).toList()));
        assertTrue(topics.observationsOf(instance.instanceId()).stream()
                        .anyMatch(e -> e.payload().measuredUsage() != null
                                && e.payload().measuredUsage().ramBytes() > 0),
                "the stand-in's resident memory was measured while it ran");
    }

    @Test
    void aMissingModelFileIsAnError() throws Exception {
        Path missing = models.resolve("not-there.gguf");
        InstanceChanged instance = placed("missing-1", "missing", List.of(), 0, plan(missing, List.of(), Map.of()));
        topics.publish(instance, 1);

        Envelope<InstanceObserved> errorEvent = awaitObserved(instance.instanceId(), InstanceState.ERROR, 0);
        InstanceObserved error = errorEvent.payload();

        assertEquals("model file not found: " + missing, error.message());
        assertNull(error.port());
        assertNull(error.pid());
        awaitHeartbeatLists(instance.instanceId(), "ERROR");
        assertFalse(Files.exists(Path.of(missing + ".argv")), "nothing was started");
    }

    @Test
    void aCodeChangingEnvOrAModelOutsideTheLocalRootsIsRefusedBeforeAnythingStarts() throws Exception {
        Path model = StandInBackend.modelFile(models, "preload.gguf", "healthy-after-ms=0");
        InstanceChanged preload = placed("preload-1", "preload", List.of(), 0,
                plan(model, List.of(), Map.of("LD_PRELOAD", "/tmp/x.so")));
        Path outsideDir = Files.createDirectories(Path.of("target", "outside-roots").toAbsolutePath());
        Path outside = StandInBackend.modelFile(outsideDir, "outside.gguf", "healthy-after-ms=0");
        InstanceChanged elsewhere = placed("outside-1", "outside", List.of(), 0, plan(outside, List.of(), Map.of()));
        topics.publish(preload, 1);
        topics.publish(elsewhere, 1);

        assertTrue(awaitObserved(preload.instanceId(), InstanceState.ERROR, 0).payload().message()
                .startsWith("env LD_PRELOAD is refused on this worker: LD_PRELOAD changes what code"));
        String message = awaitObserved(elsewhere.instanceId(), InstanceState.ERROR, 0).payload().message();
        assertTrue(message.startsWith("model path " + outside + " is refused on this worker: it must lie under one of "
                + "the local roots"), message);
        assertFalse(Files.exists(Path.of(model + ".argv")), "nothing was started");
        assertFalse(Files.exists(Path.of(outside + ".argv")), "nothing was started");
    }

    private static List<String> transitions(List<String> states) {
        List<String> collapsed = new java.util.ArrayList<>();
        for (String state : states) {
            if (collapsed.isEmpty() || !collapsed.get(collapsed.size() - 1).equals(state)) {
                collapsed.add(state);
            }
        }
        return collapsed;
    }
}
