package dev.gpufleet.registry.models;

import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.ModelDeleted;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;

import static io.restassured.RestAssured.given;
import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static dev.gpufleet.registry.models.ModelsApiTest.MODELS;
import static dev.gpufleet.registry.models.ModelsApiTest.api;
import static dev.gpufleet.registry.models.ModelsApiTest.create;
import static dev.gpufleet.registry.models.ModelsApiTest.ggufModel;
import static dev.gpufleet.registry.models.ModelsApiTest.unique;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the registry publishes on gpufleet.models, read back with a plain consumer. */
@QuarkusTest
@WithTestKafkaAndPostgres
class ModelEventsTest {
    @Test
    void everyChangeIsPublishedOnceWithAGrowingRevisionAndDeleteEndsInATombstone() {
        String name = unique("events");
        String id = create(name);
        api().body("{\"name\":\"" + name + "\",\"source\":{\"type\":\"huggingface\","
                        + "\"repo_id\":\"Qwen/Qwen2.5-0.5B-Instruct-GGUF\",\"file_name\":\"*q4_k_m.gguf\"},\"replicas\":2}")
                .put(MODELS + "/" + id).then().statusCode(200);
        api().body("{\"name\":\"" + name + "-v3\",\"source\":{\"type\":\"local_path\",\"path\":\"/models/q.gguf\"},"
                        + "\"env\":{\"OMP_NUM_THREADS\":\"4\"}}")
                .put(MODELS + "/" + id).then().statusCode(200);
        api().delete(MODELS + "/" + id).then().statusCode(204);

        try (ModelsTopic topic = new ModelsTopic()) {
            topic.awaitFor(Set.of(id), mine -> mine.stream().anyMatch(ModelsTopic.Message::isTombstone));
            List<ModelsTopic.Message> mine = topic.drain(Set.of(id), Duration.ofSeconds(1));
            assertEquals(List.of("ModelChanged@1", "ModelChanged@2", "ModelChanged@3", "ModelDeleted@4", "tombstone"),
                    mine.stream().map(ModelsTopic.Message::describe).toList());

            ModelChanged first = assertInstanceOf(ModelChanged.class, mine.get(0).event().payload());
            assertEquals(id, first.modelId());
            assertEquals(name, first.spec().name());
            assertEquals("llama-box", first.spec().backend());
            assertEquals(1, first.spec().replicas());
            assertEquals("PENDING", first.analysis().state().name());
            ModelChanged second = assertInstanceOf(ModelChanged.class, mine.get(1).event().payload());
            assertEquals(2, second.spec().replicas());
            ModelChanged third = assertInstanceOf(ModelChanged.class, mine.get(2).event().payload());
            assertEquals(name + "-v3", third.spec().name());
            assertEquals("/models/q.gguf", third.spec().source().path());
            assertEquals("4", third.spec().env().get("OMP_NUM_THREADS"));
            ModelDeleted deleted = assertInstanceOf(ModelDeleted.class, mine.get(3).event().payload());
            assertEquals(id, deleted.modelId());
            assertEquals(name + "-v3", deleted.name());
            assertTrue(mine.stream().allMatch(m -> id.equals(m.key())), "keyed by model id");
        }
    }

    @Test
    void aRolledBackWritePublishesNothing() {
        String name = unique("taken");
        String original = create(name);
        String other = create(unique("bystander"));
        api().body(ggufModel(name)).post(MODELS).then().statusCode(409);
        api().body(ggufModel(name)).put(MODELS + "/" + other).then().statusCode(409);
        api().body("{\"name\":\"" + name + "\",\"source\":{\"type\":\"ftp\"}}").post(MODELS).then().statusCode(400);
        // the relay publishes in commit order, so once a later change is out, anything before it would be too
        String marker = create(unique("marker"));

        try (ModelsTopic topic = new ModelsTopic()) {
            topic.awaitFor(Set.of(marker), mine -> !mine.isEmpty());
            topic.drain(Set.of(), Duration.ofMillis(500));
            List<String> withTheName = topic.all().stream()
                    .filter(m -> !m.isTombstone() && m.event().payload() instanceof ModelChanged c
                            && c.spec().name().equals(name))
                    .map(ModelsTopic.Message::key).toList();
            assertEquals(List.of(original), withTheName, "only the create that committed");
            assertEquals(List.of("ModelChanged@1"), topic.all().stream().filter(m -> other.equals(m.key()))
                    .map(ModelsTopic.Message::describe).toList(), "the failed rename left no trace");
        }
    }

    @Test
    void concurrentReplacementsNeverReuseARevision() throws Exception {
        String name = unique("contended");
        String id = create(name);
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Callable<Integer>> puts = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int replicas = i + 2;
                puts.add(() -> api().body("{\"name\":\"" + name + "\",\"source\":{\"type\":\"local_path\","
                        + "\"path\":\"/models/m.gguf\"},\"replicas\":" + replicas + "}")
                        .put(MODELS + "/" + id).statusCode());
            }
            for (Future<Integer> f : pool.invokeAll(puts)) {
                assertEquals(200, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        int finalReplicas = api().get(MODELS + "/" + id).then().body("revision", equalTo(writers + 1))
                .extract().path("replicas");

        try (ModelsTopic topic = new ModelsTopic()) {
            List<ModelsTopic.Message> mine = topic.awaitFor(Set.of(id), m -> m.size() >= writers + 1);
            assertEquals(LongStream.rangeClosed(1, writers + 1).boxed().toList(),
                    mine.stream().map(m -> m.event().revision()).toList(), "one event per revision, in order");
            ModelChanged last = assertInstanceOf(ModelChanged.class, mine.get(writers).event().payload());
            assertEquals(finalReplicas, last.spec().replicas(), "the newest revision carries the state that won");
        }
    }

    @Test
    void theOutboxBacklogIsAMetric() {
        given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("gpufleet_outbox_backlog{outbox=\"registry.outbox\"}"));
    }
}
