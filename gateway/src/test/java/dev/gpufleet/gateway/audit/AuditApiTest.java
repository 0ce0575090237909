package dev.gpufleet.gateway.audit;

import dev.gpufleet.gateway.admin.FakeServicesResource;
import dev.gpufleet.gateway.auth.ApiKeyFormat;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admin actions through the gateway, its own (users, keys) and forwarded ones (a model, a worker's state), land in
 * the audit log with who did them and on which entity; reads and failed calls do not, and calls that authentication
 * refused (401, 403) do with the reason and no secret. The log is for admins only, newest first, paged like every
 * list.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(value = FakeServicesResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class AuditApiTest {
    private static final String ADMIN_KEY_ID = ApiKeyFormat.parse(ADMIN_API_KEY).orElseThrow().id();

    @Test
    void changesAreRecordedWithWhoAndWhich() {
        String name = "audited-" + UUID.randomUUID().toString().substring(0, 8);
        String userId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", name)).post("/api/v1/users").then().statusCode(201).extract().path("id");
        String keyId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "k", "user_id", userId)).post("/api/v1/api-keys").then().statusCode(201)
                .extract().path("id");
        String userKey = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "own", "user_id", userId)).post("/api/v1/api-keys").then().statusCode(201)
                .extract().path("key");
        given().auth().oauth2(ADMIN_API_KEY).post("/api/v1/api-keys/" + keyId + "/revoke").then().statusCode(200);
        String modelId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "m")).post("/api/v1/models").then().statusCode(201).extract().path("id");
        given().auth().oauth2(ADMIN_API_KEY).post("/api/v1/workers/w-audit/cordon").then().statusCode(201);
        // not recorded: a read, a failed call; a refused one is, apart (refusedCallsAreRecordedWithWhoWhatAndWhy)
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/models").then().statusCode(200);
        given().auth().oauth2(userKey).contentType("application/json").body(Map.of("name", "x"))
                .post("/api/v1/users").then().statusCode(403);
        given().auth().oauth2(ADMIN_API_KEY).header("x-fake-status", "409").delete("/api/v1/models/m-refused")
                .then().statusCode(409);

        // recorded once the answer has gone: wait for the last one
        List<String> ids = List.of(userId, keyId, modelId, "w-audit");
        await().atMost(Duration.ofSeconds(10)).until(() -> events(ids).size() == 5);
        List<Map<String, Object>> events = events(ids);
        assertEquals(List.of("worker:cordon:w-audit", "model:create:" + modelId, "api_key:revoke:" + keyId,
                        "api_key:create:" + keyId, "user:create:" + userId),
                events.stream().map(e -> e.get("kind") + ":" + e.get("action") + ":" + e.get("entity_id"))
                        .toList());
        Map<String, Object> created = events.get(events.size() - 1);
        assertEquals(ADMIN_KEY_ID, created.get("key_id"));
        assertEquals("admin", created.get("user_name"));
        assertEquals(true, created.get("admin"));
        assertEquals("POST", created.get("method"));
        assertEquals("/api/v1/users", created.get("path"));
        assertEquals(201, created.get("status"));
    }

    @Test
    void onlyAdminsReadTheLogAndItIsPaged() {
        String userId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "reader-" + UUID.randomUUID().toString().substring(0, 8)))
                .post("/api/v1/users").then().statusCode(201).extract().path("id");
        String key = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "k", "user_id", userId)).post("/api/v1/api-keys").then().statusCode(201)
                .extract().path("key");
        given().auth().oauth2(key).get("/api/v1/audit-events").then().statusCode(403);
        given().get("/api/v1/audit-events").then().statusCode(401);
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/audit-events?per_page=1").then().statusCode(200)
                .body("items.size()", equalTo(1)).body("pagination.per_page", equalTo(1));
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/audit-events?per_page=0").then().statusCode(400)
                .body("message", containsString("per_page"));
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/audit-events?page=1000000").then().statusCode(200)
                .body("items.size()", equalTo(0));
    }

    @Test
    void refusedCallsAreRecordedWithWhoWhatAndWhy() {
        String marker = "m-refused-" + UUID.randomUUID().toString().substring(0, 8);
        String path = "/api/v1/models/" + marker;
        String userId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "refused-" + marker)).post("/api/v1/users").then().statusCode(201)
                .extract().path("id");
        String userKey = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "k", "user_id", userId)).post("/api/v1/api-keys").then().statusCode(201)
                .extract().path("key");
        ApiKeyFormat.NewKey unknown = ApiKeyFormat.generate();

        given().delete(path).then().statusCode(401);
        given().auth().oauth2(unknown.key()).delete(path).then().statusCode(401);
        given().auth().oauth2(userKey).delete(path).then().statusCode(403);
        given().auth().oauth2(dev.gpufleet.localstack.testing.TestClusterToken.TOKEN).delete(path).then()
                .statusCode(403);

        await().atMost(Duration.ofSeconds(10)).until(() -> events(List.of(marker)).size() == 4);
        List<Map<String, Object>> events = events(List.of(marker));
        assertEquals(List.of("403:", "403:" + ApiKeyFormat.parse(userKey).orElseThrow().id(),
                        "401:" + unknown.id(), "401:"),
                events.stream().map(e -> e.get("status") + ":" + e.get("key_id")).toList());
        for (Map<String, Object> e : events) {
            assertEquals("refused", e.get("action"));
            assertEquals("model", e.get("kind"));
            assertEquals("DELETE", e.get("method"));
            assertEquals(path, e.get("path"));
            assertEquals(false, e.get("admin"));
            assertTrue(e.get("reason") instanceof String reason && !reason.isBlank(), e.toString());
            assertTrue(e.get("client_address") instanceof String, e.toString());
            String row = e.toString();
            for (String secret : List.of(unknown.key().substring(unknown.key().lastIndexOf('_') + 1),
                    userKey.substring(userKey.lastIndexOf('_') + 1),
                    dev.gpufleet.localstack.testing.TestClusterToken.TOKEN)) {
                assertFalse(row.contains(secret), "no secret in " + row);
            }
        }
        assertEquals(userId, events.get(1).get("user_id"), "a valid key without the right: its user");
        assertEquals("This route needs an admin user's key.", events.get(1).get("reason"));
    }

    /** This test's events among every test's, newest first: those about the given entities. */
    private static List<Map<String, Object>> events(List<String> entityIds) {
        JsonPath page = given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/audit-events?per_page=500").then()
                .statusCode(200).extract().jsonPath();
        List<Map<String, Object>> all = page.getList("items");
        return all.stream().filter(e -> entityIds.contains(String.valueOf(e.get("entity_id")))).toList();
    }
}
