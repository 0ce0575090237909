package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import dev.gpufleet.scheduler.usage.MeasuredUsageStore;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Instances leaving their workers: lost workers (after the grace period), an admin's cordon and drain, placements
 * a worker never picked up; and the usage RUNNING instances report. Through the real broker and database, each
 * test with its own pool of workers (models select it by label).
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class LifecycleFlowTest {
    static final Duration PATIENCE = Duration.ofSeconds(40);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "gpufleet.scheduler.unreachable-grace")
    Duration unreachableGrace;
    @ConfigProperty(name = "gpufleet.scheduler.scheduled-timeout")
    Duration scheduledTimeout;
    @Inject
    AdjustableClock clock;
    @Inject
    MeasuredUsageStore measuredUsage;

    InstanceFlow flow;
    Events events;
    int workersStarted;

    @BeforeEach
    void connect() {
        flow = new InstanceFlow(bootstrapServers, clock, PATIENCE);
        events = flow.events();
    }

    @AfterEach
    void disconnect() {
        flow.close();
    }

    record TestWorker(String id, String name, Heartbeats heartbeats) {
    }

    /**
     * A READY CPU worker of 16 GiB RAM in {@code pool}, beating every second. With {@code intervalSeconds} 1 it is
     * UNREACHABLE 3 s after it stops, without moving the clock (which would age every other worker too).
     */
    private TestWorker worker(String prefix, String pool, int intervalSeconds, List<GpuDevice> gpus) {
        String id = UUID.randomUUID().toString();
        String name = prefix + "-" + id.substring(0, 6);
        Heartbeats heartbeats = flow.worker(new WorkerReported(id, name, "10.1.3." + workersStarted++, 10150, "linux",
                "amd64", Map.of("pool", pool), 8, 5.0, 16 * GIB, 2 * GIB, gpus, WorkerState.READY, null, List.of(),
                intervalSeconds));
        return new TestWorker(id, name, heartbeats);
    }

    private TestWorker worker(String prefix, String pool) {
        return worker(prefix, pool, 5, List.of());
    }

    @Test
    void anInstanceLostForLongerThanTheGracePeriodIsReplacedElsewhere() {
        String pool = UUID.randomUUID().toString();
        TestWorker lost = worker("lost", pool, 1, List.of());
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("moved-" + modelId.substring(0, 6), 1, Map.of("pool", pool));
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        String instanceId = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();
        observe(instanceId, lost.id(), InstanceState.RUNNING, 40010, 1, null);
        flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        TestWorker spare = worker("spare", pool);

        lost.heartbeats().stop();
        InstanceChanged unreachable = flow.awaitChange(modelId, c -> c.state() == InstanceState.UNREACHABLE);
        assertEquals(instanceId, unreachable.instanceId(), "first kept, in case the worker is back soon");

        Events.InstanceLog log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId),
                l -> l.deletedIds().contains(instanceId));
        InstanceDeleted deleted = log.deleted().get(0).payload();
        assertEquals(lost.id(), deleted.workerId(), "its agent learns it no longer owns the instance");
        InstanceChanged replacement = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        assertNotEquals(instanceId, replacement.instanceId());
        assertEquals(spare.id(), replacement.workerId());
        Duration waited = Duration.between(
                log.changed().stream().filter(e -> e.payload().state() == InstanceState.UNREACHABLE).findFirst()
                        .orElseThrow().occurredAt(),
                log.deleted().get(0).occurredAt());
        assertTrue(waited.compareTo(unreachableGrace.minusMillis(100)) >= 0, "replaced after " + waited);

        // back again, still listing the old instance: it stays deleted, and the model keeps one replica
        lost.heartbeats().listing(List.of(new ObservedInstance(instanceId, InstanceState.RUNNING)));
        lost.heartbeats().start();
        flow.awaitWorker(lost.id(), "READY");
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + instanceId).then().statusCode(404);
        assertEquals(List.of(replacement.instanceId()), List.copyOf(events.instanceLog(modelId).liveIds()));
    }

    @Test
    void aCordonedWorkerTakesNoNewInstancesAndADrainedOneHandsItsInstancesOver() throws InterruptedException {
        String pool = UUID.randomUUID().toString();
        TestWorker first = worker("cordoned", pool);
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("drained-" + modelId.substring(0, 6), 1, Map.of("pool", pool));
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        String onFirst = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + first.id() + "/cordon").then().statusCode(200)
                .body("state", equalTo("MAINTENANCE"))
                .body("cordoned", equalTo(true))
                .body("draining", equalTo(false));
        Thread.sleep(2_500); // heartbeats keep arriving; they do not lift the cordon
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + first.id()).then()
                .body("state", equalTo("MAINTENANCE"))
                .body("reported_state", equalTo("READY"))
                .body("cordoned", equalTo(true));

        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec(spec.name(), 2, Map.of("pool", pool)),
                new ResourceEstimate(GIB, GIB)), 2);
        InstanceChanged waiting = flow.awaitChange(modelId, c -> c.state() == InstanceState.PENDING);
        assertTrue(waiting.stateMessage().contains("MAINTENANCE"), waiting.stateMessage());
        assertEquals(InstanceState.SCHEDULED, latest(modelId, onFirst).state(), "a cordon leaves instances be");

        TestWorker second = worker("takes-over", pool);
        InstanceChanged placed = flow.awaitChange(modelId, c -> c.instanceId().equals(waiting.instanceId())
                && c.state() == InstanceState.SCHEDULED);
        assertEquals(second.id(), placed.workerId());

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + first.id() + "/drain").then().statusCode(200)
                .body("state", equalTo("MAINTENANCE"))
                .body("draining", equalTo(true));
        Events.InstanceLog log = await().atMost(PATIENCE).until(() -> events.instanceLog(modelId),
                l -> l.deletedIds().contains(onFirst) && l.liveIds().size() == 2
                        && l.liveIds().stream().allMatch(id -> latestIn(l, id).state() == InstanceState.SCHEDULED));
        for (String id : log.liveIds()) {
            assertEquals(second.id(), latestIn(log, id).workerId(), "every instance left the drained worker");
        }

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + first.id() + "/uncordon").then().statusCode(200)
                .body("state", equalTo("READY"))
                .body("cordoned", equalTo(false))
                .body("draining", equalTo(false));
        flow.awaitWorker(first.id(), "READY");
    }

    @Test
    void cordonDrainAndUncordonOfAnUnknownWorkerAre404() {
        for (String action : List.of("cordon", "uncordon", "drain")) {
            given().auth().oauth2(TOKEN).post("/api/v1/workers/no-such-worker/" + action).then().statusCode(404)
                    .body("code", equalTo(404))
                    .body("reason", equalTo("Not Found"))
                    .body("message", equalTo("worker 'no-such-worker' not found"));
        }
    }

    @Test
    void anInstanceItsReadyWorkerNeverPicksUpIsPlacedAgain() {
        String pool = UUID.randomUUID().toString();
        worker("deaf", pool);
        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec("stuck-" + modelId.substring(0, 6), 1,
                Map.of("pool", pool)), new ResourceEstimate(GIB, GIB)), 1);
        Envelope<InstanceChanged> first = await().atMost(PATIENCE).until(() -> flow.lastChange(modelId),
                e -> e != null && e.payload().state() == InstanceState.SCHEDULED);

        Envelope<InstanceChanged> again = await().atMost(PATIENCE).until(() -> flow.lastChange(modelId),
                e -> e != null && e.revision() > first.revision());
        assertEquals(first.payload().instanceId(), again.payload().instanceId(), "the same instance, placed again");
        assertEquals(InstanceState.SCHEDULED, again.payload().state());
        Duration waited = Duration.between(first.occurredAt(), again.occurredAt());
        assertTrue(waited.compareTo(scheduledTimeout.minusMillis(100)) >= 0, "placed again after " + waited);
    }

    @Test
    void anInstanceItsWorkerListsIsNotPlacedAgain() throws InterruptedException {
        String pool = UUID.randomUUID().toString();
        TestWorker worker = worker("busy", pool);
        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec("slow-" + modelId.substring(0, 6), 1,
                Map.of("pool", pool)), new ResourceEstimate(GIB, GIB)), 1);
        InstanceChanged scheduled = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        // still fetching the backend, so nothing observed yet, but the heartbeat says it has the instance
        worker.heartbeats().listing(List.of(new ObservedInstance(scheduled.instanceId(), InstanceState.SCHEDULED)));

        Thread.sleep(scheduledTimeout.plusSeconds(4).toMillis());
        assertEquals(1, events.instanceLog(modelId).changed().size(), events.instanceLog(modelId)::toString);
    }

    @Test
    void theHighestVramARunningInstanceReportsIsKeptPerGpuProduct() throws InterruptedException {
        String pool = UUID.randomUUID().toString();
        TestWorker worker = worker("gpu", pool, 5, List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA L40S",
                "GPU-a", 48 * GIB, GIB, 0.0)));
        String modelId = UUID.randomUUID().toString();
        events.send(Topics.MODELS, Events.modelChanged(modelId, Events.spec("measured-" + modelId.substring(0, 6), 1,
                Map.of("pool", pool)), new ResourceEstimate(GIB, 8 * GIB)), 1);
        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(List.of(0), placed.gpuIndexes());
        String instanceId = placed.instanceId();
        String backend = placed.launchPlan().backend();

        observe(instanceId, worker.id(), InstanceState.STARTING, 40020, 1, new ResourceClaim(GIB, Map.of(0, 30 * GIB)));
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40020, 2, new ResourceClaim(GIB, Map.of(0, 11 * GIB)));
        flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        assertEquals(Map.of("NVIDIA L40S", 11 * GIB), peaks(modelId, backend), "only RUNNING instances count");

        observe(instanceId, worker.id(), InstanceState.RUNNING, 40020, 3, new ResourceClaim(GIB, Map.of(0, 13 * GIB)));
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40020, 4, new ResourceClaim(GIB, Map.of(0, 12 * GIB)));
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40020, 5, null);
        observe(instanceId, worker.id(), InstanceState.RUNNING, 40020, 6, new ResourceClaim(GIB, Map.of(0, 9 * GIB)));
        await().atMost(PATIENCE).until(() -> peaks(modelId, backend).equals(Map.of("NVIDIA L40S", 13 * GIB)));
        Thread.sleep(1_000);
        assertEquals(Map.of("NVIDIA L40S", 13 * GIB), peaks(modelId, backend), "a lower reading never lowers it");
        assertEquals(Map.of(), peaks(modelId, "vllm"), "per backend");
    }

    private Map<String, Long> peaks(String modelId, String backend) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(
                    () -> measuredUsage.peaks(modelId, backend)));
        } catch (Throwable e) {
            throw new IllegalStateException("cannot read the measured usage", e);
        }
    }

    private void observe(String instanceId, String workerId, InstanceState state, Integer port, long revision,
                         ResourceClaim measured) {
        flow.observe(new InstanceObserved(instanceId, workerId, state, null, port, 4242L, null, 0, measured), revision);
    }

    private InstanceChanged latest(String modelId, String instanceId) {
        return latestIn(events.instanceLog(modelId), instanceId);
    }

    private static InstanceChanged latestIn(Events.InstanceLog log, String instanceId) {
        return log.changed().stream().map(Envelope::payload).filter(c -> c.instanceId().equals(instanceId))
                .reduce((a, b) -> b).orElseThrow();
    }
}
