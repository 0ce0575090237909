package dev.gpufleet.scheduler.modelfiles;

import com.sun.net.httpserver.HttpServer;
import dev.gpufleet.events.ModelDirectory;
import dev.gpufleet.events.ModelFileSet;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.AdjustableClock;
import dev.gpufleet.scheduler.testing.Events;
import dev.gpufleet.scheduler.testing.Heartbeats;
import dev.gpufleet.scheduler.testing.InstanceFlow;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code /api/v1/model-files} through the real broker and database: the sets a heartbeat lists are served (by worker,
 * by model, by id), a delete is refused while an instance uses the files, and otherwise asked of the worker's agent
 * with the service token. The agent's own delete is tested in the worker-agent (ModelFileSetsTest, WorkerApiTest);
 * here it is a stand-in HTTP server that answers as the agent does and drops the set from its next heartbeats.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class ModelFileFlowTest {
    static final Duration PATIENCE = Duration.ofSeconds(40);
    static final long GIB = 1L << 30;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    AdjustableClock clock;

    InstanceFlow flow;
    HttpServer agent;
    final List<String> agentCalls = new CopyOnWriteArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        flow = new InstanceFlow(bootstrapServers, clock, PATIENCE);
        agent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        agent.start();
    }

    @AfterEach
    void disconnect() {
        flow.close();
        agent.stop(0);
    }

    @Test
    void placementPrefersAnEquallyGoodWorkerThatAlreadyHasTheModelsFiles() {
        String pool = UUID.randomUUID().toString();
        String repo = "gpufleet/placed-" + pool.substring(0, 8);
        // the lower id wins a tie unless the other holds the files: give the files to the higher one
        String without = "a-" + UUID.randomUUID();
        String holder = "z-" + UUID.randomUUID();
        for (String id : List.of(without, holder)) {
            WorkerReported report = new WorkerReported(id, "tie-" + id.substring(0, 8), "10.9.0.1", 10150, "linux",
                    "amd64", Map.of("pool", pool), 8, 5.0, 16 * GIB, 2 * GIB, List.of(), WorkerState.READY, null,
                    List.of(), 5);
            flow.worker(id.equals(holder) ? report.withModelFiles(List.of(new ModelFileSet(id + ":00000000000000c3",
                    ModelSource.HUGGINGFACE, repo, List.of("m.gguf"), "/data/models/huggingface/" + repo, GIB,
                    ModelFileSet.State.READY, null, null, null, null, List.of())), null) : report);
        }
        String modelId = UUID.randomUUID().toString();
        flow.events().send(Topics.MODELS, Events.modelChanged(modelId, new ModelSpec("tie-" + pool.substring(0, 6),
                new ModelSource(ModelSource.HUGGINGFACE, repo, "m.gguf", null, null, null, null), "llama-box", null,
                List.of(), Map.of(), 1, List.of("llm"), "spread", true, false, Map.of("pool", pool), List.of(), true),
                new ResourceEstimate(GIB, GIB)), 1);

        assertEquals(holder, flow.awaitChange(modelId, c -> c.state() == dev.gpufleet.events.InstanceState.SCHEDULED)
                .workerId(), "the worker with the files, though the other has the lower id");
    }

    @Test
    void setsAreListedAndAnUnusedOneIsDeletedByItsAgentButOneInUseIsNot() {
        String workerId = UUID.randomUUID().toString();
        String pool = UUID.randomUUID().toString();
        String unusedRepo = "gpufleet/unused-" + pool.substring(0, 8);
        ModelFileSet used = new ModelFileSet(workerId + ":00000000000000a1", ModelSource.HUGGINGFACE,
                "gpufleet/used-GGUF", List.of("used.gguf"), "/data/models/huggingface/gpufleet/used-GGUF", 3 * GIB,
                ModelFileSet.State.READY, null, null, null, Instant.parse("2026-12-07T10:00:00Z"),
                List.of("i-running"));
        ModelFileSet unused = new ModelFileSet(workerId + ":00000000000000b2", ModelSource.HUGGINGFACE, unusedRepo,
                List.of("q4.gguf"), "/data/models/huggingface/" + unusedRepo, GIB, ModelFileSet.State.DOWNLOADING,
                GIB / 4, GIB, null, Instant.parse("2026-12-01T10:00:00Z"), List.of());
        ModelDirectory disk = new ModelDirectory("/data/models", 4 * GIB, 50 * GIB, 100 * GIB);
        Heartbeats heartbeats = flow.worker(new WorkerReported(workerId, "files-" + workerId.substring(0, 6),
                "127.0.0.1", agent.getAddress().getPort(), "linux", "amd64", Map.of("pool", pool), 8, 5.0, 16 * GIB,
                2 * GIB, List.of(), WorkerState.READY, null, List.of(), 5).withModelFiles(List.of(used, unused), disk));
        agent.createContext("/api/v1/model-files/", exchange -> {
            agentCalls.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            heartbeats.modelFiles(sets -> sets.stream().filter(s -> !s.id().equals(unused.id())).toList(), disk);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });

        given().auth().oauth2(TOKEN).queryParam("worker_id", workerId).get("/api/v1/model-files").then()
                .statusCode(200).body("pagination.total", equalTo(2))
                // by path: .../unused-..., then .../used-GGUF
                .body("items[1].id", equalTo(used.id())).body("items[1].worker_id", equalTo(workerId))
                .body("items[1].instances", equalTo(List.of("i-running")))
                .body("items[1].size_bytes", equalTo(3 * GIB)).body("items[1].state", equalTo("READY"))
                .body("items[0].state", equalTo("DOWNLOADING")).body("items[0].progress_bytes", equalTo((int) (GIB / 4)))
                .body("items[0].total_bytes", equalTo((int) GIB));
        given().auth().oauth2(TOKEN).get("/api/v1/workers/" + workerId).then().statusCode(200)
                .body("model_directory.free_bytes", equalTo(50 * GIB));

        String modelId = UUID.randomUUID().toString();
        flow.events().send(Topics.MODELS, Events.modelChanged(modelId, new ModelSpec("files-" + pool.substring(0, 6),
                new ModelSource(ModelSource.HUGGINGFACE, unusedRepo, "*q4*.gguf", null, null, null, null),
                "llama-box", null, List.of(), Map.of(), 0, List.of("llm"), "spread", true, false,
                Map.of("pool", "none-" + pool), List.of(), true), new ResourceEstimate(GIB, GIB)), 1);
        await().atMost(PATIENCE).untilAsserted(() -> given().auth().oauth2(TOKEN).queryParam("model", modelId)
                .get("/api/v1/model-files").then().statusCode(200)
                .body("items.id", equalTo(List.of(unused.id()))));
        given().auth().oauth2(TOKEN).queryParam("model", "no-such-model").get("/api/v1/model-files").then()
                .statusCode(400).body("message", containsString("model: no model with id or name 'no-such-model'"));

        given().auth().oauth2(TOKEN).get("/api/v1/model-files/" + used.id()).then().statusCode(200)
                .body("path", equalTo(used.path()));
        given().auth().oauth2(TOKEN).delete("/api/v1/model-files/" + used.id()).then().statusCode(409)
                .body("code", equalTo(409)).body("reason", equalTo("Conflict"))
                .body("message", containsString("are used by instance(s) i-running"));
        assertEquals(List.of(), agentCalls, "files in use are never asked for");

        given().auth().oauth2(TOKEN).delete("/api/v1/model-files/" + unused.id()).then().statusCode(204);
        assertEquals(List.of("DELETE /api/v1/model-files/" + workerId + "%3A00000000000000b2 Bearer " + TOKEN),
                agentCalls);
        given().auth().oauth2(TOKEN).get("/api/v1/model-files/" + unused.id()).then().statusCode(404);
        given().auth().oauth2(TOKEN).delete("/api/v1/model-files/not-an-id").then().statusCode(404)
                .body("message", containsString("ids are <worker id>:<16 hex digits>"));
    }
}
