package dev.gpufleet.registry;

import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static dev.gpufleet.localstack.testing.TestClusterToken.METRICS_TOKEN;
import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
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
    void everythingElseNeedsTheServiceToken() {
        given().get("/q/openapi").then().statusCode(401).body("code", equalTo(401));
        given().auth().oauth2("wrong-token-0123456789").get("/q/openapi").then().statusCode(401);
        given().auth().oauth2(METRICS_TOKEN).get("/q/openapi").then().statusCode(401);
        given().auth().oauth2(TOKEN).get("/q/openapi").then().statusCode(200);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(404);
    }

    @Test
    void metricsAreOnTheManagementPortBehindTheMetricsTokenOnly() {
        given().port(TestManagement.port()).get("/q/metrics").then().statusCode(401).body("code", equalTo(401));
        given().port(TestManagement.port()).auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(401);
        given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("jvm_memory_used_bytes"));
        given().port(TestManagement.port()).auth().oauth2(METRICS_TOKEN).get("/api/v1/models").then()
                .statusCode(404);
    }
}
