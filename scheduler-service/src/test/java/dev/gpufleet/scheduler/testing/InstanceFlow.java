package dev.gpufleet.scheduler.testing;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

/**
 * What the flow tests drive the scheduler with: events to and from the test broker, workers whose heartbeats run
 * until the test ends, and waits for a model's latest instance event. One per test: open it before, close it after.
 */
public final class InstanceFlow implements AutoCloseable {
    private final Events events;
    private final Clock clock;
    private final Duration patience;
    private final List<Heartbeats> workers = new ArrayList<>();

    /**
     * @param clock    the clock heartbeats and observations are stamped with (the service's, when a test moves it)
     * @param patience how long each wait may take
     */
    public InstanceFlow(String bootstrapServers, Clock clock, Duration patience) {
        this.events = new Events(bootstrapServers);
        this.clock = clock;
        this.patience = patience;
    }

    public Events events() {
        return events;
    }

    /** A worker beating every second as {@code report} says, once the scheduler has it READY. */
    public Heartbeats worker(WorkerReported report) {
        Heartbeats heartbeats = beating(report);
        awaitWorker(report.workerId(), "READY");
        return heartbeats;
    }

    /** A worker beating every second as {@code report} says, not waited for. */
    public Heartbeats beating(WorkerReported report) {
        Heartbeats heartbeats = new Heartbeats(events, clock, report).start();
        workers.add(heartbeats);
        return heartbeats;
    }

    /** Waits until the scheduler's API shows the worker in {@code state}. */
    public void awaitWorker(String workerId, String state) {
        await().atMost(patience).untilAsserted(() -> given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId)
                .then().statusCode(200).body("state", equalTo(state)));
    }

    /** What an agent reports about an instance, stamped with the test's clock. */
    public void observe(InstanceObserved observed, long revision) {
        events.send(Topics.INSTANCE_STATUS, Envelope.of(observed, revision, clock));
    }

    /** The model's latest InstanceChanged on gpufleet.instances; null before the first. */
    public Envelope<InstanceChanged> lastChange(String modelId) {
        List<Envelope<InstanceChanged>> changed = events.instanceLog(modelId).changed();
        return changed.isEmpty() ? null : changed.get(changed.size() - 1);
    }

    /** Waits until the model's latest InstanceChanged matches. */
    public InstanceChanged awaitChange(String modelId, Predicate<InstanceChanged> wanted) {
        return await().atMost(patience).until(() -> lastChange(modelId),
                e -> e != null && wanted.test(e.payload())).payload();
    }

    /** Stops every worker's heartbeats, then the producer. */
    @Override
    public void close() {
        workers.forEach(Heartbeats::close);
        events.close();
    }
}
