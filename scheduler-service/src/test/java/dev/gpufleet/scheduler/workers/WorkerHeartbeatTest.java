package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import io.quarkus.test.junit.QuarkusTest;
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
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

/** Heartbeats in, worker state out, through the real broker and database; time moves through a test clock. */
@QuarkusTest
@WithTestKafkaAndPostgres
class WorkerHeartbeatTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    AdjustableClock clock;

    Events events;

    @BeforeEach
    void connect() {
        events = new Events(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        events.close();
    }

    @Test
    void readyWhileHeartbeatsArriveUnreachableAfterThreeMissedAndReadyAgainWhenBack() {
        String workerId = UUID.randomUUID().toString();
        report(workerId, WorkerState.READY, 1);

        awaitState(workerId, "READY");
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then().statusCode(200)
                .body("name", equalTo("gpu-node-1"))
                .body("address", equalTo("10.0.0.7"))
                .body("agent_port", equalTo(10150))
                .body("os", equalTo("linux"))
                .body("arch", equalTo("amd64"))
                .body("labels.zone", equalTo("a"))
                .body("cpu_cores", equalTo(16))
                .body("memory_total_bytes", equalTo(68719476736L))
                .body("gpus[0].name", equalTo("NVIDIA H100 80GB HBM3"))
                .body("gpus[0].memory_total_bytes", equalTo(85899345920L))
                .body("reported_state", equalTo("READY"))
                .body("heartbeat_interval_seconds", equalTo(5))
                .body("last_heartbeat_at", notNullValue());
        given().auth().oauth2(TOKEN).get("/api/v1/workers").then().statusCode(200)
                .body("items.id", hasItem(workerId))
                .body("pagination.page", equalTo(1))
                .body("pagination.per_page", equalTo(100));

        clock.advance(Duration.ofSeconds(16)); // more than 3 intervals of 5 s without a heartbeat
        awaitState(workerId, "UNREACHABLE");

        report(workerId, WorkerState.READY, 2);
        awaitState(workerId, "READY");

        report(workerId, WorkerState.NOT_READY, 3);
        awaitState(workerId, "NOT_READY");
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then()
                .body("state_message", equalTo("detection failed"));

        // a redelivered older heartbeat changes nothing: send it, then a newer marker for another worker
        report(workerId, WorkerState.READY, 2);
        String markerId = UUID.randomUUID().toString();
        report(markerId, WorkerState.READY, 1);
        awaitState(markerId, "READY");
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then().body("state", equalTo("NOT_READY"));
    }

    @Test
    void impossibleValuesAreCorrectedAndASecondHostUnderALiveWorkersIdIsIgnored() {
        String workerId = UUID.randomUUID().toString();
        GpuDevice h100 = new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-1", 85899345920L, -1L, 3.0);
        GpuDevice twinA = new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-2", 85899345920L, 0L, 0.0);
        GpuDevice twinB = new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-3", 85899345920L, 0L, 0.0);
        events.send(Topics.WORKERS, Envelope.of(new WorkerReported(workerId, "gpu-node-2", "10.0.0.8", 10150, "linux",
                "amd64", Map.of(), 16, 12.5, 68719476736L, 99999999999999L, List.of(h100, twinA, twinB),
                WorkerState.READY, null, List.of(), 5), 1, clock));
        awaitState(workerId, "READY");
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then()
                .body("memory_used_bytes", equalTo(68719476736L))    // more than the total: all of it
                .body("gpus.index", equalTo(List.of(0)))              // index 1 twice: neither is trusted
                .body("gpus[0].memory_used_bytes", equalTo(85899345920L)); // negative: all of it

        // another host claims the id while the first is alive: nothing of it is taken
        events.send(Topics.WORKERS, Envelope.of(new WorkerReported(workerId, "impostor", "10.9.9.9", 10150, "linux",
                "amd64", Map.of(), 2, 0.0, 1L << 30, 0L, List.of(), WorkerState.NOT_READY, "not me", List.of(), 5),
                2, clock));
        String markerId = UUID.randomUUID().toString();
        report(markerId, WorkerState.READY, 1);
        awaitState(markerId, "READY");
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then()
                .body("name", equalTo("gpu-node-2"))
                .body("address", equalTo("10.0.0.8"))
                .body("state", equalTo("READY"))
                .body("cpu_cores", equalTo(16));
    }

    private void report(String workerId, WorkerState state, long revision) {
        WorkerReported report = new WorkerReported(workerId, "gpu-node-1", "10.0.0.7", 10150, "linux", "amd64",
                Map.of("zone", "a"), 16, 12.5, 68719476736L, 8589934592L,
                List.of(new GpuDevice(0, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "GPU-1", 85899345920L,
                        1073741824L, 3.0)),
                state, state == WorkerState.NOT_READY ? "detection failed" : null, List.of(), 5);
        events.send(Topics.WORKERS, Envelope.of(report, revision, clock));
    }

    private void awaitState(String workerId, String state) {
        await().atMost(PATIENCE).untilAsserted(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/workers/" + workerId).then().statusCode(200).body("state", equalTo(state)));
    }
}
