package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import dev.gpufleet.scheduler.testing.Events;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestKafkaAndPostgres
class InstanceApiTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void listsPageByPageFilteredByModelAndShowsOne() {
        String modelId = UUID.randomUUID().toString();
        try (Events events = new Events(bootstrapServers)) {
            events.send(Topics.MODELS, Events.modelChanged(modelId, "paged", 3), 1);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().auth().oauth2(TOKEN)
                .queryParam("model_id", modelId).get("/api/v1/instances").then().body("items", hasSize(3)));

        Set<String> seen = new HashSet<>();
        for (int page = 1; page <= 2; page++) {
            JsonPath body = given().auth().oauth2(TOKEN)
                    .queryParam("model_id", modelId).queryParam("per_page", 2).queryParam("page", page)
                    .get("/api/v1/instances").then().statusCode(200)
                    .body("pagination.page", equalTo(page))
                    .body("pagination.per_page", equalTo(2))
                    .body("pagination.total", equalTo(3))
                    .body("pagination.total_pages", equalTo(2))
                    .extract().jsonPath();
            List<String> ids = body.getList("items.id");
            assertEquals(page == 1 ? 2 : 1, ids.size());
            seen.addAll(ids);
        }
        assertEquals(3, seen.size());

        String id = seen.iterator().next();
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + id).then().statusCode(200)
                .body("id", equalTo(id))
                .body("model_id", equalTo(modelId))
                .body("model_name", equalTo("paged"))
                .body("state", equalTo("PENDING"))
                .body("state_message", startsWith("No suitable workers."))
                .body("revision", equalTo(1));
    }
}
