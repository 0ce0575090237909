package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.quarkus.hibernate.reactive.panache.Panache;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Observations an agent sent but the scheduler never received (here: never produced, as when the agent's send timed
 * out while Kafka was away) are taken from the heartbeats that repeat them, with the same result as the event.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class HeartbeatRepairTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    AdjustableClock clock;

    InstanceFlow flow;

    @BeforeEach
    void connect() {
        flow = new InstanceFlow(bootstrapServers, clock, PATIENCE);
    }

    @AfterEach
    void disconnect() {
        flow.close();
    }

    @Test
    void lostObservationsAreRepairedByTheNextHeartbeatsExactlyAsTheirEventsWouldHaveBeen() throws Throwable {
        String pool = UUID.randomUUID().toString();
        String workerId = UUID.randomUUID().toString();
        Heartbeats worker = flow.worker(Heartbeats.cpuWorker(workerId, "repair-" + workerId.substring(0, 6),
                "10.7.0.1", Map.of("pool", pool), 16 * GIB, 2 * GIB));
        String modelId = UUID.randomUUID().toString();
        // no restart on error: the ERROR the heartbeat repairs stays to be seen
        ModelSpec spec = new ModelSpec("repair-" + modelId.substring(0, 6), ModelSource.localPath("/models/r.gguf"),
                "llama-box", null, List.of(), Map.of(), 1, List.of("llm"), "spread", true, false, Map.of("pool", pool),
                List.of(), false);
        flow.events().send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(GIB, 0)), 1);
        String instanceId = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED).instanceId();

        // the backend started: STARTING (revision 20) arrives as an event, RUNNING (21) is lost on its way
        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.STARTING, null, 40001, 501L, null, 0),
                20);
        flow.awaitChange(modelId, c -> c.state() == InstanceState.STARTING);
        ResourceClaim measured = new ResourceClaim(3 * GIB, Map.of());
        worker.listing(List.of(new ObservedInstance(instanceId, InstanceState.RUNNING, 21L, 40001, 501L,
                "warning: --port was ignored", 0, null, measured)));

        InstanceChanged running = flow.awaitChange(modelId, c -> c.state() == InstanceState.RUNNING);
        assertEquals("10.7.0.1:40001", running.endpoint());
        assertEquals("warning: --port was ignored", running.stateMessage());
        assertEquals(21L, observedRevision(instanceId), "taken in as the event with that revision would be");

        // then it crashed: the ERROR observation (22) is lost too
        worker.listing(List.of(new ObservedInstance(instanceId, InstanceState.ERROR, 22L, null, null,
                "backend exited with code 3", 0, null, null)));
        InstanceChanged error = flow.awaitChange(modelId, c -> c.state() == InstanceState.ERROR);
        assertEquals("backend exited with code 3", error.stateMessage());
        assertNull(error.endpoint());
        long revisionAfterRepair = flow.lastChange(modelId).revision();

        // the lost events turn up late after all: nothing changes, as for any repeated event
        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.RUNNING, null, 40001, 501L, null, 0,
                measured), 21);
        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.ERROR, null, null, null,
                "backend exited with code 3", 0), 22);
        // ... which a newer observation sent after them shows: it is the next change
        flow.observe(new InstanceObserved(instanceId, workerId, InstanceState.ERROR, null, null, null,
                "marker: applied after the late events", 0), 23);
        InstanceChanged marker = flow.awaitChange(modelId,
                c -> c.stateMessage() != null && c.stateMessage().startsWith("marker"));
        assertEquals(InstanceState.ERROR, marker.state());
        assertEquals(revisionAfterRepair + 1, flow.lastChange(modelId).revision(),
                "no InstanceChanged from the late events");
    }

    private static long observedRevision(String instanceId) throws Throwable {
        return VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() ->
                Instance.<Instance>findById(UUID.fromString(instanceId)).map(i -> i.observedRevision)));
    }
}
