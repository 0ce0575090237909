package dev.gpufleet.scheduler;

import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestKafkaAndPostgres
class ServiceBasicsTest {
    @Test
    void healthIsPublicAndReadyWithDatabaseAndKafka() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("Kafka"))
                .body(containsString("Reactive PostgreSQL"));
    }

    @Test
    void theHeartbeatPipeShowsInReadinessAndMetrics() {
        // UP whatever its status: a lagging pipe degrades judging workers, not serving
        await().atMost(Duration.ofSeconds(30)).until(() -> given().get("/q/health/ready").then().extract()
                .jsonPath().getString("checks.find { it.name == 'heartbeat-pipe' }.data.status"),
                status -> "HEALTHY".equals(status));
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'heartbeat-pipe' }.status", equalTo("UP"));
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("gpufleet_scheduler_heartbeat_pipe_healthy"))
                .body(containsString("gpufleet_scheduler_heartbeat_pipe_lag"))
                .body(containsString("gpufleet_scheduler_worker_verdicts_held"));
    }

    @Test
    void everythingElseNeedsTheClusterToken() {
        given().get("/api/v1/workers").then().statusCode(401).body("code", equalTo(401));
        given().get("/api/v1/instances").then().statusCode(401);
        given().get("/q/metrics").then().statusCode(401);
        given().auth().oauth2("wrong-token-0123456789").get("/api/v1/instances").then().statusCode(401);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("jvm_memory_used_bytes"));
        given().auth().oauth2(TOKEN).get("/q/openapi").then().statusCode(200)
                .body(containsString("/api/v1/instances"));
    }

    @Test
    void unknownIdsAre404AndBadParameters400NamingTheParameter() {
        given().auth().oauth2(TOKEN).get("/api/v1/workers/no-such-worker").then().statusCode(404)
                .body("code", equalTo(404)).body("reason", equalTo("Not Found"))
                .body("message", equalTo("worker 'no-such-worker' not found"));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/" + UUID.randomUUID()).then().statusCode(404)
                .body("code", equalTo(404));
        given().auth().oauth2(TOKEN).get("/api/v1/instances/not-a-uuid").then().statusCode(400)
                .body("message", containsString("'id' must be a UUID"));
        given().auth().oauth2(TOKEN).queryParam("per_page", "0").get("/api/v1/workers").then().statusCode(400)
                .body("reason", equalTo("Bad Request"))
                .body("message", equalTo("query parameter 'per_page' must be an integer from 1 to 500, was '0'"));
        given().auth().oauth2(TOKEN).queryParam("page", "abc").get("/api/v1/instances").then().statusCode(400)
                .body("message", equalTo("query parameter 'page' must be an integer from 1 to 1000000, was 'abc'"));
    }
}
