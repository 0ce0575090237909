package dev.gpufleet.registry;

import dev.gpufleet.localstack.testing.KafkaTestResource;
import dev.gpufleet.localstack.testing.PostgresTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = PostgresTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class ServiceBasicsTest {
    static final String TOKEN = "test-cluster-token-0123456789";

    @Test
    void healthIsPublicAndReadyWithDatabaseAndKafka() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200)
                .body(containsString("Kafka"))
                .body(containsString("Reactive PostgreSQL"));
    }

    @Test
    void everythingElseNeedsTheClusterToken() {
        given().get("/q/metrics").then().statusCode(401).body("code", equalTo(401));
        given().get("/q/openapi").then().statusCode(401);
        given().auth().oauth2("wrong-token-0123456789").get("/q/metrics").then().statusCode(401);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("jvm_memory_used_bytes"));
        given().auth().oauth2(TOKEN).get("/q/openapi").then().statusCode(200);
    }
}
