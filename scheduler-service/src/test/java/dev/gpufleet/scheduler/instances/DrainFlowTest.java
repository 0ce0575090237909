package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Draining a worker is make before break: a RUNNING instance keeps serving until its replacement runs elsewhere,
 * and keeps serving, saying why, when the replacement cannot be placed or fails. Through the real broker and
 * database; the agents are simulated (their heartbeats and observations), each test with its own pool of workers.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class DrainFlowTest {
    static final Duration PATIENCE = Duration.ofSeconds(40);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    AdjustableClock clock;

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

    @Test
    void aDrainedInstanceServesUntilItsReplacementRunsElsewhereAndOnlyThenStops() {
        String pool = UUID.randomUUID().toString();
        String a = worker("draining", pool);
        String modelId = UUID.randomUUID().toString();
        String old = runningInstance(modelId, pool, a);
        String b = worker("spare", pool);

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + a + "/drain").then().statusCode(200)
                .body("draining", equalTo(true))
                .body("drain.complete", equalTo(false))
                .body("drain.instances_left", equalTo(1));
        InstanceChanged placed = flow.awaitChange(modelId, c -> !c.instanceId().equals(old)
                && c.state() == InstanceState.SCHEDULED);
        String replacement = placed.instanceId();
        assertEquals(b, placed.workerId(), "placed elsewhere, beyond the model's one replica");
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + old).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("replaced_by", equalTo(replacement))
                .body("move", containsString("keeps serving until its replacement " + placed.name() + " runs"));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + replacement).then().statusCode(200)
                .body("replaces", equalTo(old));

        // starting: the old one serves on
        observe(replacement, b, InstanceState.STARTING, 40021, 1, 0, null);
        await().atMost(PATIENCE).untilAsserted(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/instances/" + old).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("move", containsString("runs (STARTING on " + placed.workerName() + ")")));
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + a).then().statusCode(200)
                .body("drain.complete", equalTo(false))
                .body("drain.instances.size()", equalTo(1))
                .body("drain.instances[0].id", equalTo(old))
                .body("drain.instances[0].state", equalTo("RUNNING"));
        assertFalse(events.instanceLog(modelId).deletedIds().contains(old));

        // it runs: now, and only now, the old one is stopped
        observe(replacement, b, InstanceState.RUNNING, 40021, 2, 0, null);
        await().atMost(PATIENCE).until(() -> events.instanceLog(modelId).deletedIds().contains(old));

        List<Envelope<EventPayload>> timeline = events.instanceTimeline(modelId);
        assertAlwaysOneRunning(timeline);
        int replacementRuns = indexOf(timeline, e -> e.payload() instanceof InstanceChanged c
                && c.instanceId().equals(replacement) && c.state() == InstanceState.RUNNING);
        int oldStops = indexOf(timeline, e -> e.payload() instanceof InstanceDeleted d && d.instanceId().equals(old));
        assertTrue(replacementRuns >= 0 && replacementRuns < oldStops,
                "the replacement runs before the old one is asked to stop: " + timeline);
        assertEquals(a, ((InstanceDeleted) timeline.get(oldStops).payload()).workerId(), "its agent stops it");
        assertEquals(List.of(replacement), List.copyOf(events.instanceLog(modelId).liveIds()));

        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + a).then().statusCode(200)
                .body("draining", equalTo(true))
                .body("drain.complete", equalTo(true))
                .body("drain.instances_left", equalTo(0))
                .body("drain.message", containsString("complete"));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + replacement).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("replaces", nullValue());
    }

    @Test
    void aDrainWithNoRoomElsewhereLeavesTheInstanceServingAndSaysWhyUntilItIsCalledOff() {
        String pool = UUID.randomUUID().toString();
        String a = worker("alone", pool);
        String modelId = UUID.randomUUID().toString();
        String old = runningInstance(modelId, pool, a);

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + a + "/drain").then().statusCode(200)
                .body("draining", equalTo(true));
        InstanceChanged pending = flow.awaitChange(modelId, c -> !c.instanceId().equals(old)
                && c.state() == InstanceState.PENDING && c.stateMessage().contains("MAINTENANCE"));
        await().atMost(PATIENCE).untilAsserted(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/instances/" + old).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("replaced_by", equalTo(pending.instanceId()))
                .body("move", containsString("keeps serving: its replacement " + pending.name()
                        + " cannot be placed yet: "))
                .body("move", containsString("MAINTENANCE")));
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + a).then().statusCode(200)
                .body("drain.complete", equalTo(false))
                .body("drain.instances_left", equalTo(1))
                .body("drain.message", containsString("cannot be placed yet"));
        Events.InstanceLog log = events.instanceLog(modelId);
        assertFalse(log.deletedIds().contains(old), log::toString);
        assertEquals(InstanceState.RUNNING, latest(log, old).state(), "it serves on");

        // called off: the replacement that never ran goes, the instance stays as it is
        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + a + "/uncordon").then().statusCode(200)
                .body("draining", equalTo(false));
        await().atMost(PATIENCE).until(() -> events.instanceLog(modelId).deletedIds().contains(pending.instanceId()));
        assertEquals(List.of(old), List.copyOf(events.instanceLog(modelId).liveIds()));
        assertAlwaysOneRunning(events.instanceTimeline(modelId));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + old).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("replaced_by", nullValue())
                .body("move", nullValue());
    }

    @Test
    void anInstanceWhoseReplacementFailsServesOnAndSaysWhy() {
        String pool = UUID.randomUUID().toString();
        String a = worker("draining", pool);
        String modelId = UUID.randomUUID().toString();
        // no restart after an error, so the failed replacement stays failed
        ModelSpec base = Events.spec("failing-" + modelId.substring(0, 6), 1, Map.of("pool", pool));
        String old = runningInstance(modelId, new ModelSpec(base.name(), base.source(), base.backend(),
                base.backendVersion(), base.backendParameters(), base.env(), 1, base.categories(),
                base.placementStrategy(), base.cpuOffloading(), base.distributedInference(), base.workerSelector(),
                base.gpuSelector(), false), a);
        String b = worker("broken", pool);

        given().auth().oauth2(TOKEN).post("/api/v1/workers/" + a + "/drain").then().statusCode(200);
        InstanceChanged placed = flow.awaitChange(modelId, c -> !c.instanceId().equals(old)
                && c.state() == InstanceState.SCHEDULED);
        assertEquals(b, placed.workerId());
        observe(placed.instanceId(), b, InstanceState.STARTING, 40031, 1, 0, null);
        observe(placed.instanceId(), b, InstanceState.ERROR, null, 2, 0, "backend exited with code 1");
        flow.awaitChange(modelId, c -> c.instanceId().equals(placed.instanceId())
                && c.state() == InstanceState.ERROR);

        await().atMost(PATIENCE).untilAsserted(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/instances/" + old).then().statusCode(200)
                .body("state", equalTo("RUNNING"))
                .body("move", equalTo("keeps serving: its replacement " + placed.name() + " failed on "
                        + placed.workerName() + ": backend exited with code 1")));
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + a).then().statusCode(200)
                .body("drain.complete", equalTo(false))
                .body("drain.message", containsString("failed on " + placed.workerName()));
        Events.InstanceLog log = events.instanceLog(modelId);
        assertFalse(log.deletedIds().contains(old), log::toString);
        assertEquals(InstanceState.RUNNING, latest(log, old).state());
        assertAlwaysOneRunning(events.instanceTimeline(modelId));
    }

    /** A READY CPU worker of 16 GiB RAM in {@code pool}, beating every second; returns its id. */
    private String worker(String prefix, String pool) {
        String id = UUID.randomUUID().toString();
        flow.worker(new WorkerReported(id, prefix + "-" + id.substring(0, 6), "10.1.4." + workersStarted++, 10150,
                "linux", "amd64", Map.of("pool", pool), 8, 5.0, 16 * GIB, 2 * GIB, List.of(), WorkerState.READY, null,
                List.of(), 5));
        return id;
    }

    /** A model of one replica whose instance runs on {@code worker}; returns the instance's id. */
    private String runningInstance(String modelId, String pool, String worker) {
        return runningInstance(modelId, Events.spec("moved-" + modelId.substring(0, 6), 1, Map.of("pool", pool)),
                worker);
    }

    private String runningInstance(String modelId, ModelSpec spec, String worker) {
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, GIB)), 1);
        InstanceChanged scheduled = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(worker, scheduled.workerId());
        observe(scheduled.instanceId(), worker, InstanceState.RUNNING, 40010, 1, 0, null);
        flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        return scheduled.instanceId();
    }

    private void observe(String instanceId, String workerId, InstanceState state, Integer port, long revision,
                         int restartCount, String message) {
        flow.observe(new InstanceObserved(instanceId, workerId, state, null, port, 4242L, message, restartCount,
                null), revision);
    }

    /** From the first RUNNING instance on, the model has one RUNNING instance after every event. */
    private static void assertAlwaysOneRunning(List<Envelope<EventPayload>> timeline) {
        Map<String, InstanceState> states = new HashMap<>();
        boolean served = false;
        for (int i = 0; i < timeline.size(); i++) {
            EventPayload event = timeline.get(i).payload();
            if (event instanceof InstanceChanged c) {
                states.put(c.instanceId(), c.state());
            } else if (event instanceof InstanceDeleted d) {
                states.remove(d.instanceId());
            }
            boolean running = states.containsValue(InstanceState.RUNNING);
            served |= running;
            assertTrue(running || !served, "no RUNNING instance after event " + i + " of " + timeline);
        }
        assertTrue(served, "never RUNNING: " + timeline);
    }

    private static int indexOf(List<Envelope<EventPayload>> timeline,
                               java.util.function.Predicate<Envelope<EventPayload>> wanted) {
        for (int i = 0; i < timeline.size(); i++) {
            if (wanted.test(timeline.get(i))) {
                return i;
            }
        }
        return -1;
    }

    private static InstanceChanged latest(Events.InstanceLog log, String instanceId) {
        return log.changed().stream().map(Envelope::payload).filter(c -> c.instanceId().equals(instanceId))
                .reduce((x, y) -> y).orElseThrow();
    }
}
