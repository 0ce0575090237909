package dev.gpufleet.worker.report;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafka;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.WorkerTopic;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A wrong device or label setting must not stop the agent: it keeps running and reports NOT_READY with why. */
@QuarkusTest
@TestProfile(BadSettingsTest.BadSettings.class)
@WithTestKafka
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class BadSettingsTest {
    static final String EXPECTED = "gpufleet.worker.simulated-devices entry 2 ('nvidia:NVIDIA L4:24 gigs'): "
            + "'24 gigs' is not a size (a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB, e.g. 24GiB); "
            + "gpufleet.worker.labels: 'tier' is not key=value (e.g. zone=a,tier=gpu)";

    public static class BadSettings implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "gpufleet.worker.simulated-devices", "nvidia:NVIDIA L4:24GiB;nvidia:NVIDIA L4:24 gigs",
                    "gpufleet.worker.labels", "zone=a,tier");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void theAgentRunsOnAndReportsNotReadySayingWhichEntryAndWhy() throws Exception {
        String workerId = await().atMost(Duration.ofSeconds(60)).until(() -> given().auth()
                .oauth2(TOKEN).get("/api/v1/worker").then().extract().path("worker_id"),
                id -> id != null);

        given().auth().oauth2(TOKEN).get("/api/v1/worker").then().statusCode(200)
                .body("state", equalTo("NOT_READY"))
                .body("state_message", equalTo(EXPECTED))
                .body("gpus", hasSize(0));
        given().get("/q/health/live").then().statusCode(200);

        try (WorkerTopic topic = new WorkerTopic(bootstrapServers)) {
            List<Envelope<WorkerReported>> beats = await().atMost(Duration.ofSeconds(20))
                    .until(() -> topic.heartbeatsOf(workerId), received -> received.size() >= 2);
            WorkerReported last = beats.get(beats.size() - 1).payload();
            assertEquals(WorkerState.NOT_READY, last.state());
            assertEquals(EXPECTED, last.stateMessage());
        }
    }
}
