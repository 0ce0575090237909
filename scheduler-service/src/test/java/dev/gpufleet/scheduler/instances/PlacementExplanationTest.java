package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.GpuDevice;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.PlacementShape;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A placement keeps its shape and rationale, published on InstanceChanged and shown by the admin API; a PENDING
 * instance explains itself per worker; a placement evaluation answers without placing anything.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class PlacementExplanationTest {
    static final Duration PATIENCE = Duration.ofSeconds(30);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
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

    /** Two 24 GiB NVIDIA GPUs, nothing used, 64 GiB RAM, in a pool of its own. */
    private Map<String, String> twoGpuWorker(String id, String name) {
        String pool = UUID.randomUUID().toString();
        List<GpuDevice> gpus = List.of(
                new GpuDevice(0, "nvidia", "cuda", "NVIDIA GeForce RTX 4090", "GPU-0", 24 * GIB, 0, 0),
                new GpuDevice(1, "nvidia", "cuda", "NVIDIA GeForce RTX 4090", "GPU-1", 24 * GIB, 0, 0));
        flow.worker(new WorkerReported(id, name, "10.2.3.4", 10150, "linux", "amd64", Map.of("pool", pool), 32, 1.0,
                64 * GIB, 4 * GIB, gpus, WorkerState.READY, null, List.of(), 5));
        return Map.of("pool", pool);
    }

    /** 40 layers of 1 GiB: too big for one 23 GiB allocatable GPU, fits split over two. */
    private static ResourceEstimate fortyGib() {
        LayeredSizing sizing = new LayeredSizing(8192, Collections.nCopies(40, GIB), 16L << 20, 256L << 20,
                512L << 20, 8L << 20, 500L << 20, 500L << 20, 500L << 20, 4L << 20, 0);
        return new ResourceEstimate(sizing.memoryFor(0, List.of()).ramBytes(),
                sizing.memoryFor(999, List.of(1.0)).vramBytes()[0], ModelSizing.of(sizing));
    }

    @Test
    void aTensorSplitPlacementIsPublishedWithItsShapeAndShownWithItsRationale() {
        String workerId = UUID.randomUUID().toString();
        Map<String, String> pool = twoGpuWorker(workerId, "gpu-" + workerId.substring(0, 6));
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = Events.spec("split-" + modelId.substring(0, 6), 1, pool);
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, fortyGib()), 1);

        InstanceChanged placed = flow.awaitChange(modelId, c -> c.state() == InstanceState.SCHEDULED);

        assertEquals(List.of(0, 1), placed.gpuIndexes());
        assertEquals(PlacementShape.Kind.MULTI_GPU, placed.shape().kind());
        assertEquals(2, placed.shape().tensorSplit().size());
        assertEquals(2, placed.claim().vramBytesByGpu().size());
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + placed.instanceId()).then().statusCode(200)
                .body("placement.fits", equalTo(true))
                .body("placement.shape.kind", equalTo("MULTI_GPU"))
                .body("placement.shape.tensor_split", hasSize(2))
                .body("placement.rationale", containsString("GPU"))
                .body("placement.score", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void aPendingInstanceSaysPerWorkerWhyItFitsNowhere() {
        String workerId = UUID.randomUUID().toString();
        String workerName = "small-" + workerId.substring(0, 6);
        Map<String, String> pool = twoGpuWorker(workerId, workerName);
        String modelId = UUID.randomUUID().toString();
        ModelSpec spec = new ModelSpec("huge-" + modelId.substring(0, 6), Events.spec("x", 1, pool).source(),
                "llama-box", null, List.of(), Map.of(), 1, List.of("llm"), "spread", false, false, pool, List.of(),
                true);
        events.send(Topics.MODELS, Events.modelChanged(modelId, spec, new ResourceEstimate(90 * GIB, 90 * GIB)), 1);

        InstanceChanged pending = flow.awaitChange(modelId,
                c -> c.state() == InstanceState.PENDING && c.stateMessage().contains(workerName));

        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + pending.instanceId()).then().statusCode(200)
                .body("state", equalTo("PENDING"))
                .body("placement.fits", equalTo(false))
                .body("placement.reason", startsWith("No suitable workers."))
                .body("placement.per_worker.'" + workerName + "'", containsString("GiB"));
    }

    @Test
    void anEvaluationAnswersWhereASpecWouldGoAndPlacesNothing() {
        String workerId = UUID.randomUUID().toString();
        Map<String, String> pool = twoGpuWorker(workerId, "eval-" + workerId.substring(0, 6));
        ModelSpec spec = Events.spec("evaluated", 1, pool);
        String body = "{\"spec\":" + EventCodec.mapper().valueToTree(spec) + ",\"estimate\":"
                + EventCodec.mapper().valueToTree(fortyGib()) + "}";
        int instancesBefore = given().auth().oauth2(TOKEN).get("/api/v1/instances").then().statusCode(200)
                .extract().path("pagination.total");

        given().auth().oauth2(TOKEN).contentType(ContentType.JSON).body(body)
                .post("/api/v1/placement-evaluations").then().statusCode(200)
                .body("fits", equalTo(true))
                .body("worker_id", equalTo(workerId))
                .body("gpu_indexes", hasSize(2))
                .body("shape.kind", equalTo("MULTI_GPU"));
        given().auth().oauth2(TOKEN).contentType(ContentType.JSON).body("{\"estimate\":null}")
                .post("/api/v1/placement-evaluations").then().statusCode(400)
                .body("message", containsString("spec"));
        given().contentType(ContentType.JSON).body(body).post("/api/v1/placement-evaluations").then().statusCode(401);

        given().auth().oauth2(TOKEN).get("/api/v1/instances").then().statusCode(200)
                .body("pagination.total", equalTo(instancesBefore));
    }
}
