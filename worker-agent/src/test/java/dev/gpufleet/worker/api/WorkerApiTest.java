package dev.gpufleet.worker.api;

import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceDeleted;
import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.localstack.testing.WithTestKafka;
import dev.gpufleet.worker.InstanceTopics;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.instances.Instances;
import dev.gpufleet.worker.testing.StandInBackend;
import dev.gpufleet.worker.testing.StandInBackendResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worker's HTTP API on real stand-in backends: logs (tail, follow), metrics, the cluster token. */
@QuarkusTest
@WithTestKafka
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = StandInBackendResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class WorkerApiTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TempDir
    Path models;

    private InstanceTopics topics;
    private String workerId;
    private final List<String> created = new ArrayList<>();

    @BeforeEach
    void connect() {
        topics = new InstanceTopics(bootstrapServers);
        workerId = await().atMost(Duration.ofSeconds(60)).until(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/worker").then().extract().path("worker_id"), id -> id != null);
    }

    @AfterEach
    void deleteWhatTheTestCreated() throws Exception {
        for (String id : created) {
            topics.publish(new InstanceDeleted(id, "m", workerId), 1_000);
            topics.tombstone(id);
        }
        topics.close();
        await().atMost(PATIENCE).until(() -> given().auth().oauth2(TOKEN).get("/api/v1/worker").then().extract()
                .jsonPath().getList("instances"), List::isEmpty);
    }

    private InstanceChanged place(String name, Path model) throws Exception {
        String id = UUID.randomUUID().toString();
        created.add(id);
        InstanceChanged instance = Instances.instance(id, name, "logs", workerId, List.of(), InstanceState.SCHEDULED,
                0, new LaunchPlan("llama-box", null, ModelSource.localPath(model.toString()), List.of(), Map.of(),
                        List.of("llm")));
        topics.publish(instance, 1);
        return instance;
    }

    private Envelope<InstanceObserved> awaitObserved(String id, InstanceState state) {
        return await().atMost(PATIENCE).until(() -> topics.observationsOf(id).stream()
                .filter(e -> e.payload().state() == state).findFirst().orElse(null), e -> e != null);
    }

    @Test
    void theLastLinesOfABackendsLogByIdOrName() throws Exception {
        Path model = StandInBackend.modelFile(models, "talk.gguf", "healthy-after-ms=0",
                "say=line one|line two|line three");
        InstanceChanged instance = place("talkative-1", model);
        int port = awaitObserved(instance.instanceId(), InstanceState.RUNNING).payload().port();

        String lastTwo = given().auth().oauth2(TOKEN).queryParam("tail", 2)
                .get("/api/v1/logs/{instance}", instance.instanceId())
                .then().statusCode(200).contentType(containsString("text/plain")).extract().asString();
        // on a loopback port of its own: llama-box is behind the agent's authenticating proxy on the instance's port
        assertTrue(lastTwo.matches("line three\nstand-in: listening on 127\\.0\\.0\\.1:[0-9]+\n"), lastTwo);

        String byName = given().auth().oauth2(TOKEN).get("/api/v1/logs/talkative-1").then().statusCode(200)
                .extract().asString();
        assertTrue(byName.startsWith("=== "), "the default tail reaches the agent's start line: " + byName);
        assertTrue(byName.contains("gpufleet: starting instance talkative-1 (restart 0) on port " + port + "\nline one\n"),
                byName);
    }

    @Test
    void followStreamsUntilTheBackendsProcessEnds() throws Exception {
        Path model = StandInBackend.modelFile(models, "short.gguf", "healthy-after-ms=0", "exit-code=0",
                // long enough to be seen RUNNING on a busy machine before it ends
                "exit-after-ms=6000", "say=short-lived");
        InstanceChanged instance = place("short-1", model);
        awaitObserved(instance.instanceId(), InstanceState.RUNNING);

        Instant asked = Instant.now();
        String followed = given().auth().oauth2(TOKEN).queryParam("tail", 1).queryParam("follow", true)
                .get("/api/v1/logs/{instance}", instance.instanceId())
                .then().statusCode(200).header("Transfer-Encoding", "chunked").extract().asString();

        assertTrue(followed.startsWith("stand-in: listening on"), followed);
        assertTrue(followed.endsWith("stand-in: exiting with code 0\n"), "written after the request: " + followed);
        assertTrue(Duration.between(asked, Instant.now()).toMillis() < 30_000, "ended with the process");
    }

    @Test
    void modelFilesListTheLocalPathAnInstanceServesAndRefuseToDeleteIt() throws Exception {
        Path model = StandInBackend.modelFile(models, "files.gguf", "healthy-after-ms=0");
        InstanceChanged instance = place("files-1", model);
        awaitObserved(instance.instanceId(), InstanceState.RUNNING);

        var listing = given().auth().oauth2(TOKEN).get("/api/v1/model-files").then().statusCode(200).extract()
                .jsonPath();
        List<Map<String, Object>> mine = listing.<Map<String, Object>>getList("items").stream()
                .filter(set -> model.toString().equals(set.get("path"))).toList();
        assertEquals(1, mine.size(), listing.prettify());
        Map<String, Object> set = mine.get(0);
        assertEquals(List.of(instance.instanceId()), set.get("instances"));
        assertEquals("local_path", set.get("source"));
        assertEquals("READY", set.get("state"));
        assertTrue(((String) set.get("id")).startsWith(workerId + ":"), set.toString());
        assertTrue(listing.getLong("directory.free_bytes") > 0, listing.prettify());

        given().auth().oauth2(TOKEN).delete("/api/v1/model-files/{id}", set.get("id")).then().statusCode(409)
                .body("code", equalTo(409)).body("reason", equalTo("Conflict"))
                .body("message", containsString("which gpufleet did not download and never deletes"));
        given().auth().oauth2(TOKEN).delete("/api/v1/model-files/{id}", workerId + ":0000000000000000").then()
                .statusCode(404).body("message", equalTo("no model file set " + workerId
                        + ":0000000000000000 on this worker"));
        given().delete("/api/v1/model-files/{id}", set.get("id")).then().statusCode(401);
    }

    @Test
    void badRequestsAreExplained() {
        given().auth().oauth2(TOKEN).get("/api/v1/logs/no-such-instance").then().statusCode(404)
                .body("code", equalTo(404)).body("message", equalTo("No instance 'no-such-instance' on this "
                        + "worker: give an instance id or name the scheduler placed here."));
        for (String tail : List.of("0", "-3", "ten", "10001", "1.5")) {
            given().auth().oauth2(TOKEN).queryParam("tail", tail).get("/api/v1/logs/any").then().statusCode(400)
                    .body("message", equalTo("tail must be a whole number of lines from 1 to 10000, got '" + tail
                            + "'"));
        }
        given().auth().oauth2(TOKEN).queryParam("follow", "yes").get("/api/v1/logs/any").then().statusCode(400)
                .body("message", equalTo("follow must be true or false, got 'yes'"));
        given().get("/api/v1/logs/any").then().statusCode(401);
        given().port(TestManagement.port()).get("/q/metrics").then().statusCode(401);
        given().port(TestManagement.port()).auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(401);
        given().auth().oauth2(METRICS_TOKEN).get("/api/v1/worker").then().statusCode(401);
        given().get("/q/health").then().statusCode(200);
    }

    /**
     * The engines' own metrics of the instances running here, each sample labelled with its instance, fetched with
     * the instance's key; an engine without metrics is named in a comment; the metrics token guards it.
     */
    @Test
    void backendMetricsAreReExportedPerInstance() throws Exception {
        Path withMetrics = StandInBackend.modelFile(models, "metered.gguf", "healthy-after-ms=0",
                "metrics=# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.|"
                        + "# TYPE llamacpp:prompt_tokens_total counter|llamacpp:prompt_tokens_total 6886");
        Path without = StandInBackend.modelFile(models, "silent.gguf", "healthy-after-ms=0");
        InstanceChanged metered = place("engine-metrics-1", withMetrics);
        InstanceChanged silent = place("engine-metrics-2", without);
        awaitObserved(metered.instanceId(), InstanceState.RUNNING);
        awaitObserved(silent.instanceId(), InstanceState.RUNNING);

        String text = await().atMost(PATIENCE).until(() -> given().port(TestManagement.port())
                .auth().oauth2(METRICS_TOKEN).get("/q/backend-metrics").then().statusCode(200)
                .contentType(containsString("text/plain")).extract().asString(),
                t -> t.contains(silent.instanceId()) && t.contains(metered.instanceId()));
        assertTrue(text.contains("# TYPE llamacpp:prompt_tokens_total counter\n"
                + "llamacpp:prompt_tokens_total{instance=\"" + metered.instanceId() + "\"} 6886\n"), text);
        assertTrue(text.contains("# gpufleet: no metrics from instance " + silent.instanceId()
                + ": /metrics answered 404"), text);
        given().port(TestManagement.port()).auth().oauth2(TOKEN).get("/q/backend-metrics").then().statusCode(401);
    }

    @Test
    void metricsShowDevicesAndInstanceStates() throws Exception {
        Path model = StandInBackend.modelFile(models, "m.gguf", "healthy-after-ms=0");
        InstanceChanged instance = place("metered-1", model);
        awaitObserved(instance.instanceId(), InstanceState.RUNNING);

        String metrics = await().atMost(PATIENCE).until(() -> given().port(TestManagement.port())
                .auth().oauth2(METRICS_TOKEN).get("/q/metrics").then().statusCode(200).extract().asString(), text -> text.contains("gpufleet_worker_device_memory_used_bytes")
                && text.contains("gpufleet_worker_instances{state=\"RUNNING\"} 1.0"));

        assertTrue(metrics.contains("gpufleet_worker_device_memory_total_bytes{index=\"1\",name=\"NVIDIA H100 80GB "
                + "HBM3\",vendor=\"nvidia\"} 8.589934592E10"), metrics);
        assertTrue(metrics.contains("gpufleet_worker_device_memory_used_bytes{index=\"1\",name=\"NVIDIA H100 80GB "
                + "HBM3\",vendor=\"nvidia\"} 2.147483648E9"), metrics);
        assertTrue(metrics.contains("gpufleet_worker_device_utilization_percent{index=\"2\",name=\"Ascend 910B\","
                + "vendor=\"ascend\"}"), metrics);
        assertTrue(metrics.contains("gpufleet_worker_devices 3.0"), metrics);
        assertTrue(metrics.contains("gpufleet_worker_instances{state=\"ERROR\"} 0.0"), metrics);
    }
}
