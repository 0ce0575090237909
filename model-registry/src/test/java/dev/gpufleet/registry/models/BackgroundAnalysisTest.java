package dev.gpufleet.registry.models;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.gpufleet.registry.models.ModelsApiTest.MODELS;
import static dev.gpufleet.registry.models.ModelsApiTest.api;
import static dev.gpufleet.registry.models.ModelsApiTest.unique;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;

/** Hub sources are analysed in the background; an admin can ask for a new analysis. */
@QuarkusTest
@WithTestKafkaAndPostgres
class BackgroundAnalysisTest {
    // the test profile's timer waits an hour: each pass here is run on purpose
    @jakarta.inject.Inject
    dev.gpufleet.registry.analysis.BackgroundAnalysis background;

    @Test
    void aHubThatIsAwayLeavesTheModelPendingWithTheReason() {
        String id = api().body("""
                        {"name": "%s", "source": {"type": "huggingface", "repo_id": "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                         "file_name": "*q4_k_m.gguf"}}""".formatted(unique("hub-away")))
                .post(MODELS).then().statusCode(201)
                .body("analysis.state", equalTo("PENDING"))
                .body("revision", equalTo(1))
                .extract().path("id");

        // the test profile's hub endpoint refuses connections: a transient failure, published once, retried
        background.runDue();
        api().get(MODELS + "/" + id).then().statusCode(200)
                .body("analysis.state", equalTo("PENDING"))
                .body("analysis.message", startsWith("hub not reachable"))
                .body("revision", equalTo(2));
        // not due again before its backoff, and the same failure again would publish nothing new
        background.runDue();
        api().get(MODELS + "/" + id).then().body("revision", equalTo(2));
    }

    @Test
    void reanalysisIsAcceptedAndSettlesInTheBackground(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 3, file);
        String id = api().body("""
                        {"name": "%s", "source": {"type": "local_path", "path": "%s"}}"""
                        .formatted(unique("again"), file))
                .post(MODELS).then().statusCode(201).body("analysis.state", equalTo("ANALYZED"))
                .extract().path("id");

        api().post(MODELS + "/" + id + "/analyze").then().statusCode(202)
                .body("analysis.state", equalTo("PENDING"))
                .body("analysis.message", equalTo("analysis requested"))
                .body("revision", equalTo(2));
        background.runDue();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> api().get(MODELS + "/" + id).then()
                .body("analysis.state", equalTo("ANALYZED"))
                .body("estimate.ram_bytes", greaterThan(0))
                .body("revision", equalTo(3)));

        api().post(MODELS + "/00000000-0000-0000-0000-000000000000/analyze").then().statusCode(404);
    }
}
