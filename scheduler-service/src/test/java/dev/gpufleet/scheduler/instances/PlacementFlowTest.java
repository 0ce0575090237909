package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.DeadLetter;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.PlacementShape;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.events.SubordinateWorker;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.events.MalformedEventException;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Workers and models in, placements out; agents' observations in, instance states and endpoints out; through the
 * real broker and database. Each test has its own worker and its models select only that worker by a label, so
 * workers other tests left behind change nothing.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class PlacementFlowTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "gpufleet.scheduler.restart-backoff-base")
    Duration backoffBase;
    @Inject
    AdjustableClock clock;

    InstanceFlow flow;
    Events events;

    @BeforeEach
    void connect() {
        flow = new InstanceFlow(bootstrapServers, clock, PATIENCE);
        events = flow.events();
    }

    @AfterEach
    void disconnect() {
        flow.close();
    }

    /** A READY CPU worker of 16 GiB RAM, 2 GiB in use (so 12 GiB allocatable), in its own pool. */
    private TestWorker worker(String prefix) {
        String id = UUID.randomUUID().toString();
        String name = prefix + "-" + id.substring(0, 6);
        String pool = UUID.randomUUID().toString();
        Heartbeats heartbeats = flow.worker(
                Heartbeats.cpuWorker(id, name, "10.1.2.3", Map.of("pool", pool), 16 * GIB, 2 * GIB));
        return new TestWorker(id, name, Map.of("pool", pool), heartbeats);
    }

    record TestWorker(String id, String name, Map<String, String> selector, Heartbeats heartbeats) {
    }

    @Test
    void placesOnTheWorkerWithRoomAndFollowsItsObservationsUntilScaledDown() {
        TestWorker worker = worker("cpu-vm");
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("placed-" + modelId.substring(0, 6), 1, worker.selector());
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);

        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        String instanceId = placed.instanceId();
        assertEquals(worker.id(), placed.workerId());
        assertEquals(worker.name(), placed.workerName());
        assertEquals(List.of(), placed.gpuIndexes(), "CPU only: the worker has no GPU");
        assertEquals(new ResourceClaim(GIB, Map.of()), placed.claim());
        assertEquals(LaunchPlan.of(spec), placed.launchPlan());
        assertEquals("10.1.2.3", placed.workerAddress(), "the address the worker's heartbeat gave");
        assertNull(placed.endpoint());
        assertEquals(1, events.instanceLog(modelId).changed().size(), "placed as it was created: one event");

        observe(instanceId, worker.id(), InstanceState.STARTING, 40001, "loading the model", 0, 1);
        InstanceChanged starting = flow.awaitChange(modelId, c -> c.state() == InstanceState.STARTING);
        assertNull(starting.endpoint());
        assertEquals("loading the model", starting.stateMessage());
        assertEquals(LaunchPlan.of(spec), starting.launchPlan(), "every InstanceChanged carries the whole state");
        assertEquals("10.1.2.3", starting.workerAddress(), "kept on every later change");

        observe(instanceId, worker.id(), InstanceState.RUNNING, 40001, null, 0, 2);
        InstanceChanged running = flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        assertEquals("10.1.2.3:40001", running.endpoint());
        assertEquals("10.1.2.3", running.workerAddress());
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + instanceId).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("worker_id", equalTo(worker.id()))
                .body("endpoint", equalTo("10.1.2.3:40001"))
                .body("port", equalTo(40001))
                .body("pid", equalTo(4242))
                .body("backend", equalTo("llama-box"))
                .body("claim.ram_bytes", equalTo((int) GIB))
                .body("restart_count", equalTo(0));

        // from another worker, or not newer than what was taken in: ignored. The next good one shows they were read.
        observe(instanceId, UUID.randomUUID().toString(), InstanceState.ERROR, null, "impostor", 0, 3);
        observe(instanceId, worker.id(), InstanceState.ERROR, null, "replayed", 0, 2);
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40001, "healthy", 0, 3);
        flow.awaitChange(modelId, c -> "healthy".equals(c.stateMessage()));
        List<Envelope<InstanceChanged>> changes = events.instanceLog(modelId).changed();
        assertFalse(changes.stream().anyMatch(e -> e.payload().state() == InstanceState.ERROR), changes::toString);
        assertEquals(List.of(1L, 2L, 3L, 4L), changes.stream().map(Envelope::revision).toList());

        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec(spec.name(), 0, worker.selector()),
                new ResourceEstimate(GIB, GIB)), 2);
        Events.InstanceLog log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId),
                l -> !l.tombstones().isEmpty());
        InstanceDeleted deleted = log.deleted().get(0).payload();
        assertEquals(instanceId, deleted.instanceId());
        assertEquals(worker.id(), deleted.workerId(), "the agent learns which of its instances to stop");
        assertEquals(5, log.deleted().get(0).revision());
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + instanceId).then().statusCode(404);
    }

    /** An Ascend server of 8 NPUs (64 GiB each, device IPs 29.{@code n}.0.{@code i}) in the pool {@code pool}. */
    private TestWorker ascendServer(String pool, int n) {
        String id = UUID.randomUUID().toString();
        String name = "ascend-" + id.substring(0, 6);
        List<GpuDevice> npus = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            npus.add(new GpuDevice(i, "ascend", "npu", "Ascend 910B", "npu-" + id + "-" + i, 64 * GIB, 0, 0.0,
                    "29." + n + ".0." + i));
        }
        Heartbeats heartbeats = flow.worker(new WorkerReported(id, name, "10.9.0." + n, 10150, "linux", "arm64",
                Map.of("pool", pool), 192, 5.0, 512 * GIB, 8 * GIB, npus, WorkerState.READY, null, List.of(), 5));
        return new TestWorker(id, name, Map.of("pool", pool), heartbeats);
    }

    @Test
    void mindieTooLargeForOneServerIsPlacedAcrossTwoWithTheirAddressesAndDeviceIps() {
        String pool = UUID.randomUUID().toString();
        TestWorker one = ascendServer(pool, 1);
        TestWorker two = ascendServer(pool, 2);
        // 12 NPUs' worth at MindIE's 0.8 of each: 2 servers × 8 NPUs, world size 16
        ResourceEstimate estimate = new ResourceEstimate(4 * GIB, 768 * GIB, ModelSizing.of(
                new ShardedSizing((long) (614.4 * GIB), 0.8, 0, 4 * GIB, 64, true)));
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = new ModelSpec("mindie-" + modelId.substring(0, 6), ModelSource.localPath("/models/qwen"),
                "mindie", null, List.of(), Map.of(), 1, List.of("llm"), "spread", false, true, Map.of("pool", pool),
                List.of(), true);
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, estimate), 1);

        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        // equal scores: the lower worker id leads
        TestWorker main = one.id().compareTo(two.id()) < 0 ? one : two;
        TestWorker sub = main == one ? two : one;
        int m = main == one ? 1 : 2;
        int s = 3 - m;
        List<Integer> all = List.of(0, 1, 2, 3, 4, 5, 6, 7);
        Map<Integer, Long> claims = new java.util.TreeMap<>();
        Map<Integer, String> mainIps = new java.util.TreeMap<>();
        Map<Integer, String> subIps = new java.util.TreeMap<>();
        for (int i : all) {
            claims.put(i, (long) Math.ceil(0.8 * 64 * GIB));
            mainIps.put(i, "29." + m + ".0." + i);
            subIps.put(i, "29." + s + ".0." + i);
        }
        assertEquals(main.id(), placed.workerId());
        assertEquals(all, placed.gpuIndexes());
        assertEquals(new ResourceClaim(4 * GIB, claims), placed.claim());
        assertEquals("10.9.0." + m, placed.workerAddress());
        assertEquals(mainIps, placed.deviceIps());
        assertEquals(new PlacementShape(PlacementShape.Kind.DISTRIBUTED, LayeredSizing.ALL_LAYERS, List.of(), 16, 1),
                placed.shape());
        assertEquals(List.of(new SubordinateWorker(sub.id(), all, new ResourceClaim(4 * GIB, claims),
                "10.9.0." + s, subIps)), placed.subordinateWorkers());
        assertEquals(LaunchPlan.of(spec), placed.launchPlan());
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + placed.instanceId()).then().statusCode(200)
                .body("state", equalTo("SCHEDULED"))
                .body("state_message", startsWith("MindIE across 2 workers × 8 NPUs (world size 16) on "
                        + main.name()));
    }

    @Test
    void aModelThatFitsNowhereStaysPendingWithEachWorkersReasonUntilItFits() throws InterruptedException {
        TestWorker worker = worker("small-vm");
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("too-big-" + modelId.substring(0, 6), 1, worker.selector());
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(100 * GIB, 100 * GIB)), 1);

        InstanceChanged pending = flow.awaitChange(modelId, c -> c.state() == InstanceState.PENDING);
        String reason = "No suitable workers. " + worker.name() + ": needs 100.0 GiB RAM, 12.0 GiB allocatable";
        assertTrue(pending.stateMessage().startsWith(reason), pending.stateMessage());
        assertNull(pending.workerId());
        assertNull(pending.launchPlan());
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + pending.instanceId()).then().statusCode(200)
                .body("state", equalTo("PENDING"))
                .body("state_message", startsWith(reason));
        // the operators' view: one PENDING instance of the model that nothing can place
        await().atMost(PATIENCE).until(() -> given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN)
                .get("/q/metrics").then().extract()
                .asString().contains("gpufleet_scheduler_pending_instances{model=\"" + spec.name()
                        + "\",reason=\"no_fit\"} 1.0"));
        // reconciliation retries every 2 s here; the reason stays the same, so nothing is republished
        Thread.sleep(5_000);
        assertEquals(1, events.instanceLog(modelId).changed().size(), events.instanceLog(modelId)::toString);

        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(4 * GIB, 4 * GIB)), 2);
        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(pending.instanceId(), placed.instanceId());
        assertEquals(worker.id(), placed.workerId());
        assertEquals(new ResourceClaim(4 * GIB, Map.of()), placed.claim());
    }

    @Test
    void aPendingInstanceIsPlacedWhenAWorkerThatFitsTurnsUp() {
        String pool = UUID.randomUUID().toString();
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("waiting-" + modelId.substring(0, 6), 1, Map.of("pool", pool));
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        InstanceChanged pending = flow.awaitChange(modelId, c -> c.state() == InstanceState.PENDING);
        // which of the two depends on whether other tests left workers behind
        assertTrue(List.of("No suitable workers. No worker matches worker_selector {pool=" + pool + "}.",
                "No suitable workers. No workers registered.").contains(pending.stateMessage()),
                pending.stateMessage());

        String workerId = UUID.randomUUID().toString();
        flow.beating(Heartbeats.cpuWorker(workerId, "late-" + workerId.substring(0, 6), "10.1.2.4",
                Map.of("pool", pool), 16 * GIB, 2 * GIB));
        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(pending.instanceId(), placed.instanceId());
        assertEquals(workerId, placed.workerId());
    }

    @Test
    void anInstanceInErrorRestartsOnTheSameWorkerAfterTheBackoff() {
        TestWorker worker = worker("flaky");
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("flaky-" + modelId.substring(0, 6), 1, worker.selector());
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        String instanceId = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();

        observe(instanceId, worker.id(), InstanceState.STARTING, 40002, null, 0, 1);
        observe(instanceId, worker.id(), InstanceState.ERROR, null, "exited with code 1", 0, 2);
        Envelope<InstanceChanged> restarted = await().atMost(PATIENCE).until(
                () -> flow.lastChange(modelId), e -> e != null && e.payload().restartCount() == 1);
        Envelope<InstanceChanged> failed = events.instanceLog(modelId).changed().stream()
                .filter(e -> e.payload().state() == InstanceState.ERROR).findFirst().orElseThrow();
        assertEquals("exited with code 1", failed.payload().stateMessage());
        assertEquals(0, failed.payload().restartCount());
        assertEquals(InstanceState.SCHEDULED, restarted.payload().state());
        assertEquals(worker.id(), restarted.payload().workerId(), "restarted where it was");
        assertEquals(LaunchPlan.of(spec), restarted.payload().launchPlan());
        assertEquals(failed.revision() + 1, restarted.revision());
        Duration waited = Duration.between(failed.occurredAt(), restarted.occurredAt());
        assertTrue(waited.compareTo(backoffBase.minusMillis(100)) >= 0, "restarted after " + waited);

        // a late report about the failed run changes nothing; the new run's reports do
        observe(instanceId, worker.id(), InstanceState.ERROR, null, "late news of run 0", 0, 3);
        observe(instanceId, worker.id(), InstanceState.STARTING, 40003, "run 1", 1, 4);
        flow.awaitChange(modelId, c -> "run 1".equals(c.stateMessage()));
        assertFalse(events.instanceLog(modelId).changed().stream()
                .anyMatch(e -> "late news of run 0".equals(e.payload().stateMessage())));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + instanceId).then().statusCode(200)
                .body("state", equalTo("STARTING"))
                .body("restart_count", equalTo(1))
                .body("port", equalTo(40003));
    }

    @Test
    void instancesOfALostWorkerAreUnreachableAndComeBackWithIt() throws InterruptedException {
        TestWorker worker = worker("wanderer");
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("wanderer-" + modelId.substring(0, 6), 1, worker.selector());
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        String instanceId = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40004, null, 0, 1);
        flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);

        worker.heartbeats().stop();
        Thread.sleep(1_000); // the last heartbeat sent is taken in before time jumps
        clock.advance(Duration.ofSeconds(16)); // more than 3 heartbeat intervals of 5 s
        InstanceChanged lost = flow.awaitChange(modelId, c -> c.state() == InstanceState.UNREACHABLE);
        assertNull(lost.endpoint(), "not routed to");
        assertEquals(worker.id(), lost.workerId(), "kept on its worker");

        worker.heartbeats().listing(List.of(new ObservedInstance(instanceId, InstanceState.RUNNING)));
        worker.heartbeats().start();
        InstanceChanged back = flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING
                && c.stateMessage() != null && c.stateMessage().contains("is back"));
        assertEquals("10.1.2.3:40004", back.endpoint());
        assertEquals(instanceId, back.instanceId());
    }

    @Test
    void observationsThatCanNeverApplyAreDeadLettered() {
        String badState = UUID.randomUUID().toString();
        events.send(Topics.INSTANCE_STATUS, new InstanceObserved(badState, "w", InstanceState.SCHEDULED, null, null,
                null, null, 0), 1);
        events.send(Topics.INSTANCE_STATUS, new InstanceObserved("not-a-uuid", "w", InstanceState.STARTING, null,
                null, null, null, 0), 1);
        List<DeadLetter> letters = await().atMost(PATIENCE).until(this::deadLetters,
                l -> l.stream().anyMatch(d -> "not-a-uuid".equals(d.key())));
        DeadLetter state = letters.stream().filter(d -> badState.equals(d.key())).findFirst().orElseThrow();
        assertEquals(Topics.INSTANCE_STATUS, state.topic());
        assertTrue(state.error().contains("state must be one of DOWNLOADING, STARTING, RUNNING, ERROR, was SCHEDULED"),
                state.error());
        DeadLetter id = letters.stream().filter(d -> "not-a-uuid".equals(d.key())).findFirst().orElseThrow();
        assertTrue(id.error().contains("instanceId must be a UUID"), id.error());
    }

    private List<DeadLetter> deadLetters() {
        List<DeadLetter> letters = new ArrayList<>();
        for (ConsumerRecord<String, String> r : events.readAll(Topics.DEAD_LETTER)) {
            try {
                letters.add(EventCodec.decodeDeadLetter(r.value()));
            } catch (MalformedEventException e) {
                throw new IllegalStateException(e);
            }
        }
        return letters;
    }

    private void observe(String instanceId, String workerId, InstanceState state, Integer port, String message,
                         int restartCount, long revision) {
        flow.observe(new InstanceObserved(instanceId, workerId, state, null, port, port == null ? null : 4242L, message,
                restartCount), revision);
    }
}
