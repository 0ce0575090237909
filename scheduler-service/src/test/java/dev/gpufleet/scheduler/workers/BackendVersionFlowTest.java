package dev.gpufleet.scheduler.workers;

import dev.gpufleet.events.BackendVersion;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ModelSource;
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
import io.restassured.http.ContentType;
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
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Engine versions as in GPUStack: a model's {@code backend_version} is placed only on a worker whose heartbeat
 * lists that version or on which an operator registered it by path; the reason says so otherwise, and a
 * registration makes the waiting instance placeable at once, carrying the registered path to the agent. Through
 * the real broker and database; the agents are simulated.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class BackendVersionFlowTest {
    static final Duration PATIENCE = Duration.ofSeconds(40);
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
    void backendVersionSelectsTheWorkersThatHaveItAndARegistrationByPathAddsOne() {
        String pool = UUID.randomUUID().toString();
        String reporting = worker("reporting", pool, "10.1.7.1", List.of(new BackendVersion("llama-box", "0.0.140",
                "/opt/llama-box-0.0.140/llama-box", BackendVersion.AGENT)));
        String plain = worker("plain", pool, "10.1.7.2", List.of());

        String reported = UUID.randomUUID().toString();
        flow.events().send(Topics.MODELS, Events.modelChanged(reported, spec("v140-" + reported.substring(0, 6),
                pool, "0.0.140"), new ResourceEstimate(GIB, GIB)), 1);
        InstanceChanged onReporting = flow.awaitChange(reported, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(reporting, onReporting.workerId(), "only that worker's heartbeat lists llama-box 0.0.140");
        assertEquals("0.0.140", onReporting.launchPlan().backendVersion());
        assertNull(onReporting.launchPlan().backendPath(), "the agent runs the path its own configuration gives");

        String missing = UUID.randomUUID().toString();
        flow.events().send(Topics.MODELS, Events.modelChanged(missing, spec("v150-" + missing.substring(0, 6),
                pool, "0.0.150"), new ResourceEstimate(GIB, GIB)), 1);
        flow.awaitChange(missing, c -> c.state() == InstanceState.PENDING && c.stateMessage() != null
                && c.stateMessage().contains("no llama-box 0.0.150 (backend_version); this worker has 0.0.140"));

        given().auth().oauth2(TOKEN).contentType(ContentType.JSON)
                .body("{\"backend\":\"llama-box\",\"version\":\"0 0\",\"path\":\"bin/llama-box\"}")
                .post("/api/v1/workers/" + plain + "/backend-versions").then().statusCode(400)
                .body("code", equalTo(400))
                .body("message", containsString("version: must be 1 to 64 letters, digits"))
                .body("message", containsString("path: must be an absolute path of the executable on the worker, "
                        + "was 'bin/llama-box'"));

        given().auth().oauth2(TOKEN).contentType(ContentType.JSON)
                .body("{\"backend\":\"llama-box\",\"version\":\"0.0.150\",\"path\":\"/opt/lb-150/llama-box\"}")
                .post("/api/v1/workers/" + plain + "/backend-versions").then().statusCode(200)
                .body("backend_versions.version", hasItem("0.0.150"))
                .body("backend_versions.source", hasItem("registered"));

        InstanceChanged onPlain = flow.awaitChange(missing, c -> c.state() == InstanceState.SCHEDULED);
        assertEquals(plain, onPlain.workerId());
        assertEquals("/opt/lb-150/llama-box", onPlain.launchPlan().backendPath(),
                "the registered path travels to the agent in the launch plan");

        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + reporting + "/backend-versions").then()
                .statusCode(200).body("[0].path", equalTo("/opt/llama-box-0.0.140/llama-box"))
                .body("[0].source", equalTo("agent"));
        given().auth().oauth2(TOKEN).delete("/api/v1/workers/" + plain + "/backend-versions/llama-box/0.0.150")
                .then().statusCode(200);
        given().auth().oauth2(TOKEN).delete("/api/v1/workers/" + plain + "/backend-versions/llama-box/0.0.150")
                .then().statusCode(404).body("message", containsString("is not registered on worker"));
    }

    private String worker(String prefix, String pool, String address, List<BackendVersion> versions) {
        String id = UUID.randomUUID().toString();
        flow.worker(new WorkerReported(id, prefix + "-" + id.substring(0, 6), address, 10150, "linux", "amd64",
                Map.of("pool", pool), 8, 5.0, 16 * GIB, 2 * GIB, List.of(), WorkerState.READY, null, List.of(), 5)
                .withBackendVersions(versions));
        return id;
    }

    private static ModelSpec spec(String name, String pool, String version) {
        return new ModelSpec(name, ModelSource.localPath("/models/" + name + ".gguf"), "llama-box", version,
                List.of(), Map.of(), 1, List.of("llm"), "spread", true, false, Map.of("pool", pool), List.of(), true);
    }
}
