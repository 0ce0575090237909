package dev.gpufleet.registry.models;

import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.events.ModelChanged;
import dev.gpufleet.events.Revisions;
import dev.gpufleet.localstack.testing.TestKafka;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static dev.gpufleet.registry.models.ModelsApiTest.MODELS;
import static dev.gpufleet.registry.models.ModelsApiTest.api;
import static dev.gpufleet.registry.models.ModelsApiTest.unique;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outage test: models change while Kafka is down, and every change arrives once it is back. */
@QuarkusTest
@WithTestKafkaAndPostgres
class KafkaOutageTest {
    /** What a consumer holds per model id: the latest revision applied, and the spec's name (null once deleted). */
    record Held(long revision, String name) {
    }

    @Test
    void changesMadeWhileKafkaIsDownArriveWhenItIsBack() {
        Map<String, Long> expectedRevision = new LinkedHashMap<>();
        Map<String, String> expectedName = new HashMap<>();
        String deletedId;
        TestKafka.stop();
        try {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(503));

            for (int i = 0; i < 5; i++) {
                String name = unique("outage-" + i);
                String id = api().body(ModelsApiTest.ggufModel(name)).post(MODELS)
                        .then().statusCode(201).extract().path("id");
                expectedRevision.put(id, 1L);
                expectedName.put(id, name);
            }
            List<String> ids = List.copyOf(expectedRevision.keySet());
            for (int round = 0; round < 2; round++) {
                for (String id : ids.subList(0, 3)) {
                    long revision = expectedRevision.get(id) + 1;
                    api().body("{\"name\":\"" + expectedName.get(id) + "\",\"source\":{\"type\":\"local_path\","
                                    + "\"path\":\"/models/m.gguf\"},\"replicas\":" + revision + "}")
                            .put(MODELS + "/" + id).then().statusCode(200);
                    expectedRevision.put(id, revision);
                }
            }
            deletedId = ids.get(4);
            api().delete(MODELS + "/" + deletedId).then().statusCode(204);
            expectedRevision.put(deletedId, 2L);
            expectedName.put(deletedId, null);

            String metrics = given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN).get("/q/metrics")
                    .then().statusCode(200).extract().asString();
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("gpufleet_outbox_backlog")
                            && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) >= 12),
                    "5 creates + 6 updates + a delete and its tombstone wait in the outbox");
        } finally {
            TestKafka.start();
        }
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                given().get("/q/health/ready").then().statusCode(200));

        try (ModelsTopic topic = new ModelsTopic()) {
            Set<String> keys = new HashSet<>(expectedRevision.keySet());
            topic.awaitFor(keys, mine -> apply(mine).entrySet().stream()
                    .allMatch(e -> e.getValue().revision() == expectedRevision.get(e.getKey()))
                    && apply(mine).size() == keys.size());
            Map<String, Held> state = apply(topic.drain(keys, Duration.ofSeconds(1)));

            assertEquals(keys, state.keySet(), "one entry per model");
            for (String id : keys) {
                assertEquals(new Held(expectedRevision.get(id), expectedName.get(id)), state.get(id), id);
            }
        }
    }

    /** A consumer's state: each message applied only when its revision is newer than the one held. */
    private static Map<String, Held> apply(List<ModelsTopic.Message> messages) {
        Map<String, Held> state = new HashMap<>();
        for (ModelsTopic.Message m : messages) {
            if (m.isTombstone()) {
                continue;
            }
            Held held = state.get(m.key());
            if (!Revisions.isNewer(held == null ? null : held.revision(), m.event().revision())) {
                continue;
            }
            String name = m.event().payload() instanceof ModelChanged c ? c.spec().name() : null;
            state.put(m.key(), new Held(m.event().revision(), name));
        }
        return state;
    }
}
