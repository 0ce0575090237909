package dev.gpufleet.worker.report;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.TestKafka;
import dev.gpufleet.localstack.testing.WithTestKafka;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.WorkerTopic;
import dev.gpufleet.worker.identity.IdentityStore;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafka
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class HeartbeatTest {
    private static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "gpufleet.worker.data-dir")
    String dataDir;

    private String workerId() {
        return await().atMost(Duration.ofSeconds(60)).until(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/worker").then().extract().path("worker_id"), id -> id != null);
    }

    @Test
    void heartbeatsCarryTheSimulatedGpusWithGrowingRevisions() throws Exception {
        String workerId = workerId();
        try (WorkerTopic topic = new WorkerTopic(bootstrapServers)) {
            List<Envelope<WorkerReported>> beats = await().atMost(Duration.ofSeconds(20))
                    .until(() -> topic.heartbeatsOf(workerId), received -> received.size() >= 3);

            for (int i = 1; i < beats.size(); i++) {
                assertTrue(beats.get(i).revision() > beats.get(i - 1).revision(),
                        "revisions grow: " + beats.stream().map(Envelope::revision).toList());
            }
            // one run of the agent numbers every beat it builds: the sequence moves with the revision
            Envelope<WorkerReported> first = beats.get(0);
            for (Envelope<WorkerReported> beat : beats) {
                assertTrue(beat.payload().agentRunId() != null && beat.payload().heartbeatSequence() != null);
                assertEquals(first.payload().agentRunId(), beat.payload().agentRunId());
                assertEquals(beat.revision() - first.revision(),
                        beat.payload().heartbeatSequence() - first.payload().heartbeatSequence(),
                        "sequence and revision step together: " + beats.stream()
                                .map(b -> b.revision() + "/" + b.payload().heartbeatSequence()).toList());
            }
            WorkerReported last = beats.get(beats.size() - 1).payload();
            assertEquals(List.of(
                    new GpuDevice(0, "nvidia", "cuda", "NVIDIA GeForce RTX 4090", "SIM-nvidia-0", 24 * GIB, 0, 0.0),
                    new GpuDevice(1, "nvidia", "cuda", "NVIDIA H100 80GB HBM3", "SIM-nvidia-1", 80 * GIB, 2 * GIB,
                            0.0),
                    new GpuDevice(2, "ascend", "npu", "Ascend 910B", "SIM-ascend-2", 64 * GIB, 0, 0.0)),
                    last.gpus());
            assertEquals(WorkerState.READY, last.state(), last.stateMessage());
            assertEquals("test-worker", last.name());
            assertEquals(Map.of("zone", "test-a", "tier", "gpu", "os", "linux", "arch", last.arch(),
                    "worker-name", "test-worker"), last.labels());
            assertEquals(RestAssured.port, last.agentPort(), "the port actually bound, not the configured 10150");
            assertEquals(1, last.heartbeatIntervalSeconds());
            assertEquals(Runtime.getRuntime().availableProcessors(), last.cpuCores());
            assertTrue(last.memoryTotalBytes() > last.memoryUsedBytes() && last.memoryUsedBytes() > 0,
                    last.memoryUsedBytes() + " of " + last.memoryTotalBytes());
            assertTrue(last.instances().isEmpty());
        }
        String identity = Files.readString(Path.of(dataDir, IdentityStore.FILE_NAME));
        assertTrue(identity.contains("\"workerId\" : \"" + workerId + "\""), identity);
        assertTrue(Files.exists(Path.of(dataDir, RevisionSequence.FILE_NAME)));
    }

    @Test
    void theCurrentReportIsSnakeCaseBehindTheClusterToken() {
        given().get("/api/v1/worker").then().statusCode(401).body("code", equalTo(401));
        given().auth().oauth2("wrong-token-0123456789").get("/api/v1/worker").then().statusCode(401);

        workerId();
        given().auth().oauth2(TOKEN).get("/api/v1/worker").then().statusCode(200)
                .body("name", equalTo("test-worker"))
                .body("state", equalTo("READY"))
                .body("agent_port", equalTo(RestAssured.port))
                .body("heartbeat_interval_seconds", equalTo(1))
                .body("labels.zone", equalTo("test-a"))
                .body("labels.'worker-name'", equalTo("test-worker"))
                .body("gpus", hasSize(3))
                .body("gpus[1].memory_total_bytes", equalTo(80 * GIB))
                .body("gpus[1].memory_used_bytes", equalTo(2 * GIB))
                .body("gpus[2].type", equalTo("npu"))
                .body("memory_total_bytes", org.hamcrest.Matchers.greaterThan(0L))
                .body(not(containsString("workerId")));
    }

    @Test
    void readinessIsKafkaAndThereIsNoDatabase() {
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("Kafka"))
                .body(not(containsString("PostgreSQL")));
    }

    @Test
    void whileKafkaIsDownBeatsAreSkippedAndTheyResumeWhenItIsBack() throws Exception {
        String workerId = workerId();
        try (WorkerTopic topic = new WorkerTopic(bootstrapServers)) {
            long publishedBeforeOutage = await().atMost(Duration.ofSeconds(20))
                    .until(() -> topic.heartbeatsOf(workerId), beats -> !beats.isEmpty())
                    .stream().mapToLong(Envelope::revision).max().orElseThrow();

            TestKafka.stop();
            long builtAtStop;
            long builtDuringOutage;
            try {
                builtAtStop = currentRevision();
                // the agent keeps running and keeps assembling reports while nothing can be published
                builtDuringOutage = await().atMost(Duration.ofSeconds(10))
                        .until(this::currentRevision, revision -> revision >= builtAtStop + 3);
            } finally {
                TestKafka.start();
            }

            await().atMost(Duration.ofSeconds(30)).until(() -> topic.heartbeatsOf(workerId).stream()
                    .anyMatch(beat -> beat.revision() > builtDuringOutage));
            List<Long> revisions = topic.heartbeatsOf(workerId).stream().map(Envelope::revision).toList();
            assertTrue(revisions.stream().anyMatch(r -> r > publishedBeforeOutage));
            long publishedFromTheOutage = revisions.stream()
                    .filter(r -> r > builtAtStop && r <= builtDuringOutage).count();
            assertTrue(publishedFromTheOutage <= 1,
                    "at most the one beat in flight when the broker went away, no pile-up: " + revisions);
        }
    }

    private long currentRevision() {
        return given().auth().oauth2(TOKEN).get("/api/v1/worker").then().statusCode(200)
                .extract().jsonPath().getLong("revision");
    }
}
