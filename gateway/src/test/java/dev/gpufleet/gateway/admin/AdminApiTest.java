package dev.gpufleet.gateway.admin;

import dev.gpufleet.localstack.testing.TestClusterToken;
import dev.gpufleet.gateway.TestCallers;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(value = FakeServicesResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class AdminApiTest {
    private static RequestSpecification admin() {
        return given().auth().oauth2(ADMIN_API_KEY);
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "GET,  /api/v1/models?page=2&per_page=5, model-registry, 200",
            "GET,  /api/v1/models/m-1,               model-registry, 200",
            "POST, /api/v1/models/m-1/analyze,       model-registry, 201",
            "GET,  /api/v1/model-evaluations,        model-registry, 200",
            "GET,  /api/v1/instances?model_id=m-1,   scheduler-service, 200",
            "GET,  /api/v1/instances/i-1,            scheduler-service, 200",
            "GET,  /api/v1/workers/w-1,              scheduler-service, 200",
            "POST, /api/v1/workers/w-1/cordon,       scheduler-service, 201",
            "POST, /api/v1/workers/w-1/uncordon,     scheduler-service, 201",
            "POST, /api/v1/workers/w-1/drain,        scheduler-service, 201",
            "POST, /api/v1/placement-evaluations,    scheduler-service, 201",
            "GET,  /api/v1/model-files?worker_id=w-1, scheduler-service, 200",
            "DELETE, /api/v1/model-files/f-1,        scheduler-service, 200",
            "GET,  /api/v1/scheduler/leader,         scheduler-service, 200",
            "DELETE, /api/v1/models/m-1,             model-registry, 200",
    })
    void eachPathGoesToItsOwnerWithTheClusterToken(String method, String uri, String service, int status) {
        admin().header("Cookie", "session=secret").header("X-Custom", "kept").request(method, uri).then()
                .statusCode(status)
                .body("service", equalTo(service))
                .body("method", equalTo(method))
                .body("uri", equalTo(uri))
                .body("headers.authorization", equalTo("Bearer " + TestClusterToken.TOKEN))
                .body("headers.x-custom", equalTo("kept"))
                .body("headers.cookie", nullValue());
    }

    @Test
    void bodiesAndHeadersPassBothWays() {
        StringBuilder big = new StringBuilder("{\"name\":\"m\",\"env\":{\"PAD\":\"");
        big.append("x".repeat(3 << 20)).append("\"}}");
        Response created = admin().contentType("application/json").body(big.toString()).post("/api/v1/models");

        created.then().statusCode(201).header("Location", "/api/v1/echo/1")
                .body("headers.content-type", equalTo("application/json"));
        assertEquals(big.toString(), created.jsonPath().getString("body"));
    }

    @Test
    void aServicesErrorComesBackAsItSentIt() {
        admin().header("x-fake-status", "409").post("/api/v1/workers/w-1/drain").then().statusCode(409)
                .body("code", equalTo(409)).body("reason", equalTo("Conflict"))
                .body("message", equalTo("scheduler-service says no"));
        admin().header("x-fake-status", "404").get("/api/v1/models/nope").then().statusCode(404)
                .body("message", equalTo("model-registry says no"));
    }

    @Test
    void aServiceThatDoesNotAnswerIsNamed() {
        admin().header("x-fake-drop", "1").get("/api/v1/workers/w-1").then().statusCode(502)
                .body("code", equalTo(502)).body("reason", equalTo("Bad Gateway"))
                .body("message", containsString("scheduler-service"));
        admin().header("x-fake-drop", "1").get("/api/v1/models").then().statusCode(502)
                .body("message", containsString("model-registry"));
    }

    @Test
    void unknownAdminPathsAndNonAdminsAreTurnedAway() {
        admin().get("/api/v1/secrets").then().statusCode(404).body("code", equalTo(404))
                .body("message", containsString("gpu-devices"));
        admin().header(TestCallers.KEY_ID, "k-user").header(TestCallers.ADMIN, "false").get("/api/v1/models")
                .then().statusCode(403).body("code", equalTo(403)).body("reason", equalTo("Forbidden"));
    }

    @Test
    void instanceLogsAreLeftToTheirOwnRoute() {
        admin().get("/api/v1/instances/i-1/logs").then().statusCode(404)
                .body(not(containsString("scheduler-service")));
    }

    @Test
    void gpuDevicesAreEveryWorkersGpusAcrossTheSchedulersPages() {
        admin().get("/api/v1/gpu-devices").then().statusCode(200)
                .body("items.id", equalTo(List.of("w-1:0", "w-1:1", "w-3:0")))
                .body("items[2].worker_name", equalTo("node-c"))
                .body("items[2].memory_total_bytes", equalTo(24L << 30))
                .body("items[2].memory_used_bytes", equalTo(1024))
                .body("items[2].utilization_percent", equalTo(12.5f))
                .body("pagination.total", equalTo(3));
        admin().get("/api/v1/gpu-devices?page=2&per_page=2").then().statusCode(200)
                .body("items.id", equalTo(List.of("w-3:0")))
                .body("pagination.total_pages", equalTo(2));
        admin().get("/api/v1/gpu-devices?worker_id=w-1").then().statusCode(200)
                .body("items.id", equalTo(List.of("w-1:0", "w-1:1")));
        admin().get("/api/v1/gpu-devices/w-1:1").then().statusCode(200).body("worker_id", equalTo("w-1"))
                .body("index", equalTo(1));
        admin().get("/api/v1/gpu-devices/w-9:0").then().statusCode(404).body("message", containsString("w-9:0"));
        admin().get("/api/v1/gpu-devices?per_page=0").then().statusCode(400)
                .body("message", containsString("'per_page'"));
        admin().delete("/api/v1/gpu-devices/w-1:1").then().statusCode(405).header("Allow", "GET");
    }
}
