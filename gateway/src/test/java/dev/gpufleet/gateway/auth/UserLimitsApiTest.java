package dev.gpufleet.gateway.auth;

import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Limits belong to the user: its keys, its own included, stay within them; only an admin sets them. */
@QuarkusTest
@WithTestKafkaAndPostgres
class UserLimitsApiTest {

    @Test
    void aUsersOwnKeysStayWithinItsLimits() {
        String userId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "limited-" + UUID.randomUUID().toString().substring(0, 8),
                        "requests_per_minute", 60, "max_key_days", 30))
                .post("/api/v1/users").then().statusCode(201)
                .body("limits.requests_per_minute", equalTo(60)).body("limits.tokens_per_minute", equalTo(0))
                .body("limits.max_key_days", equalTo(30)).extract().path("id");
        // made by an admin, the user's key still gets the user's limits
        String key = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "first", "user_id", userId)).post("/api/v1/api-keys").then().statusCode(201)
                .body("requests_per_minute", equalTo(60)).extract().path("key");

        given().auth().oauth2(key).contentType("application/json")
                .body(Map.of("name", "greedy", "requests_per_minute", 100))
                .post("/api/v1/api-keys").then().statusCode(400)
                .body("message", containsString("requests_per_minute: user '"))
                .body("message", containsString("at most 60 per key, was 100"));
        given().auth().oauth2(key).contentType("application/json")
                .body(Map.of("name", "forever", "expires_at", Instant.now().plus(Duration.ofDays(31)).toString()))
                .post("/api/v1/api-keys").then().statusCode(400)
                .body("message", containsString("expires_at: user '"))
                .body("message", containsString("at most 30 days"));
        String expiresAt = given().auth().oauth2(key).contentType("application/json")
                .body(Map.of("name", "modest", "requests_per_minute", 10))
                .post("/api/v1/api-keys").then().statusCode(201)
                .body("requests_per_minute", equalTo(10)).extract().path("expires_at");
        Instant expiry = Instant.parse(expiresAt);
        assertTrue(expiry.isAfter(Instant.now().plus(Duration.ofDays(29)))
                && !expiry.isAfter(Instant.now().plus(Duration.ofDays(30))), expiresAt);

        // only an admin sets them; lifted, the user may ask for more
        given().auth().oauth2(key).contentType("application/json").body(Map.of("requests_per_minute", 1000))
                .put("/api/v1/users/" + userId + "/limits").then().statusCode(403);
        given().auth().oauth2(ADMIN_API_KEY).contentType("application/json").body(Map.of("max_key_days", -1))
                .put("/api/v1/users/" + userId + "/limits").then().statusCode(400)
                .body("message", containsString("max_key_days: must be from 0"));
        given().auth().oauth2(ADMIN_API_KEY).contentType("application/json").body(Map.of())
                .put("/api/v1/users/" + userId + "/limits").then().statusCode(200)
                .body("limits.requests_per_minute", equalTo(0)).body("limits.max_key_days", equalTo(0));
        given().auth().oauth2(key).contentType("application/json")
                .body(Map.of("name", "bigger", "requests_per_minute", 100))
                .post("/api/v1/api-keys").then().statusCode(201)
                .body("requests_per_minute", equalTo(100)).body("expires_at", nullValue());
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/users/" + userId).then().statusCode(200)
                .body("limits.requests_per_minute", equalTo(0));
    }
}
