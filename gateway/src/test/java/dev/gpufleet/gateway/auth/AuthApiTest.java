package dev.gpufleet.gateway.auth;

import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthApiTest {
    /** Every key this class saw, for the log check that runs last. */
    static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();

    @ConfigProperty(name = "gpufleet.gateway.data-dir")
    Path dataDir;

    @Inject
    TokenBudget budget;

    @Inject
    Authenticator authenticator;

    @ConfigProperty(name = "gpufleet.gateway.auth.max-failures-per-minute")
    int maxFailuresPerMinute;

    record User(String id, String name) {
    }

    static User user(boolean admin) {
        String name = "user-" + UUID.randomUUID().toString().substring(0, 8);
        String id = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", name, "admin", admin))
                .post("/api/v1/users").then().statusCode(201)
                .body("name", equalTo(name)).body("admin", equalTo(admin)).body("disabled", equalTo(false))
                .extract().path("id");
        return new User(id, name);
    }

    /** A new key for the user, made with the cluster token; returns {id, key}. */
    static String[] key(User user, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>(extra);
        body.put("name", "k-" + UUID.randomUUID().toString().substring(0, 8));
        body.put("user_id", user.id());
        Response created = given().auth().oauth2(TOKEN).contentType("application/json").body(body)
                .post("/api/v1/api-keys");
        created.then().statusCode(201).body("key", notNullValue()).body("user_name", equalTo(user.name()))
                .body("status", equalTo("active")).body("$", not(org.hamcrest.Matchers.hasKey("hash")));
        String key = created.path("key");
        SECRETS.add(key);
        return new String[]{created.path("id"), key};
    }

    static String key(User user) {
        return key(user, Map.of())[1];
    }

    static void refusedOnV1(String key, String expectedMessagePart) {
        var request = key == null ? given() : given().auth().oauth2(key);
        request.get("/v1/models").then().statusCode(401)
                .header("WWW-Authenticate", "Bearer")
                .body("error.code", equalTo("invalid_api_key"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.message", containsString(expectedMessagePart));
    }

    @Test
    @Order(1)
    void firstStartWroteTheAdminKeyToAPrivateFileAndItIsAnAdminKey() throws Exception {
        Path file = dataDir.resolve(AdminBootstrap.KEY_FILE);
        assertTrue(Files.exists(file), file.toString());
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        assertFalse(Files.exists(dataDir.resolve(AdminBootstrap.KEY_FILE + ".pending")));
        String adminKey = Files.readString(file).trim();
        SECRETS.add(adminKey);
        assertTrue(ApiKeyFormat.parse(adminKey).isPresent(), "not a gpf_ key");
        // a fresh database each run: only this run's key can work
        given().auth().oauth2(adminKey).get("/api/v1/users").then().statusCode(200)
                .body("items.name", hasItem("admin"));
        given().auth().oauth2(adminKey).get("/q/metrics").then().statusCode(200);
        given().auth().oauth2(adminKey).get("/api/v1/api-keys").then().statusCode(200)
                .body("items[0].user_name", equalTo("admin"))
                .body("items[0].key", nullValue());
    }

    @Test
    void healthIsPublicEverythingElseNeedsAKey() {
        given().get("/q/health/ready").then().statusCode(200);
        refusedOnV1(null, "Missing API key");
        given().post("/v1/chat/completions").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        given().get("/api/v1/users").then().statusCode(401)
                .body("code", equalTo(401)).body("reason", equalTo("Unauthorized"))
                .body("message", containsString("Missing API key"));
        given().get("/q/metrics").then().statusCode(401).body("code", equalTo(401));
        given().header("Authorization", "Basic dXNlcjpwYXNz").get("/v1/models").then().statusCode(401);
    }

    @Test
    void wrongKeysAreRefused() {
        String good = key(user(false));
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(good).orElseThrow();
        String wrongSecret = "gpf_" + parsed.id() + "_" + "0".repeat(64);
        String unknownId = "gpf_" + "0".repeat(16) + "_" + parsed.secret();
        for (String wrong : List.of(wrongSecret, unknownId, "gpf_nonsense", "sk-1234", TOKEN + "x",
                good.substring(0, good.length() - 1))) {
            refusedOnV1(wrong, "Incorrect API key");
            given().auth().oauth2(wrong).get("/api/v1/api-keys").then().statusCode(401)
                    .body("reason", equalTo("Unauthorized"));
        }
        given().auth().oauth2(good).get("/v1/models").then().statusCode(200);
    }

    /**
     * A flood of made-up keys from one address (a second loopback address here): each costs a database lookup
     * until the address has used up its failures, then it is answered 429 without one. Other addresses are not
     * affected, and the flood does not push a real key's row out of the cache.
     */
    @Test
    void aFloodOfUnknownKeysFromOneAddressIsLimitedAndFlushesNoRealKey() throws Exception {
        String[] real = key(user(false), Map.of());
        given().auth().oauth2(real[1]).get("/v1/models").then().statusCode(200); // now cached

        long started = System.nanoTime();
        int refused = 0;
        int limited = 0;
        String limitedAnswer = null;
        for (int i = 0; i < maxFailuresPerMinute + 60; i++) {
            RawAnswer answer = getFrom("127.0.0.7", "/v1/models", ApiKeyFormat.generate().key());
            if (answer.status() == 401) {
                refused++;
            } else {
                assertEquals(429, answer.status(), answer.text());
                limited++;
                limitedAnswer = answer.text();
            }
        }
        double refilled = (System.nanoTime() - started) / 60e9 * maxFailuresPerMinute;
        assertTrue(limited > 0, "never limited after " + refused + " failures");
        assertTrue(refused <= maxFailuresPerMinute + refilled + 1, refused + " refusals, " + refilled + " refilled");
        assertTrue(limitedAnswer.contains("Too many failed authentications from this address"), limitedAnswer);
        assertTrue(limitedAnswer.toLowerCase(java.util.Locale.ROOT).contains("retry-after:"), limitedAnswer);

        assertEquals(401, getFrom("127.0.0.8", "/v1/models", ApiKeyFormat.generate().key()).status(),
                "another address still gets its own answer");
        assertTrue(authenticator.holdsKey(real[0]), "the real key's row is still cached");
        String metrics = given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200).extract().asString();
        java.util.regex.Matcher counted = java.util.regex.Pattern
                .compile("gpufleet_gateway_auth_failures_total\\{outcome=\"limited\"} ([0-9.]+)").matcher(metrics);
        assertTrue(counted.find(), "the limited failures are counted");
        assertTrue(Double.parseDouble(counted.group(1)) >= limited, counted.group());
        given().auth().oauth2(real[1]).get("/v1/models").then().statusCode(200);
    }

    record RawAnswer(int status, String text) {
    }

    /** One request from {@code localAddress}, on a connection of its own. */
    static RawAnswer getFrom(String localAddress, String path, String bearer) throws java.io.IOException {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.bind(new java.net.InetSocketAddress(localAddress, 0));
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", io.restassured.RestAssured.port), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + bearer + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String text = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            return new RawAnswer(Integer.parseInt(text.substring(9, 12)), text);
        }
    }

    @Test
    void revokedKeysStopAtOnceOnThisGateway() {
        User user = user(false);
        String[] made = key(user, Map.of());
        given().auth().oauth2(made[1]).get("/v1/models").then().statusCode(200); // now cached
        // the owner revokes its own key
        given().auth().oauth2(made[1]).post("/api/v1/api-keys/" + made[0] + "/revoke").then().statusCode(200)
                .body("status", equalTo("revoked")).body("revoked_at", notNullValue());
        refusedOnV1(made[1], "revoked");
        given().auth().oauth2(TOKEN).post("/api/v1/api-keys/" + made[0] + "/revoke").then().statusCode(200)
                .body("status", equalTo("revoked"));
    }

    @Test
    void expiredKeysAreRefused() {
        User user = user(false);
        String[] made = key(user, Map.of("expires_at", Instant.now().plusSeconds(3600).toString()));
        given().auth().oauth2(made[1]).get("/v1/models").then().statusCode(200);
        // its owner cannot extend it
        given().auth().oauth2(made[1]).contentType("application/json")
                .body(Map.of("expires_at", Instant.now().plusSeconds(7200).toString()))
                .post("/api/v1/api-keys/" + made[0] + "/expire").then().statusCode(400)
                .body("message", containsString("expires_at: must not be later"));
        given().auth().oauth2(TOKEN).contentType("application/json").body(Map.of())
                .post("/api/v1/api-keys/" + made[0] + "/expire").then().statusCode(200)
                .body("status", equalTo("expired"));
        refusedOnV1(made[1], "expired");
        // and a key created with a past expiry is refused at creation
        given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", "old", "user_id", user.id(), "expires_at", "2020-01-01T00:00:00Z"))
                .post("/api/v1/api-keys").then().statusCode(400)
                .body("message", containsString("expires_at: must be in the future"));
    }

    @Test
    void aDisabledUsersKeysAreRefusedAndADeletedUsersKeysAreGone() {
        User user = user(false);
        String key = key(user);
        given().auth().oauth2(key).get("/v1/models").then().statusCode(200);
        given().auth().oauth2(TOKEN).post("/api/v1/users/" + user.id() + "/disable").then().statusCode(200)
                .body("disabled", equalTo(true));
        refusedOnV1(key, "disabled");
        given().auth().oauth2(TOKEN).post("/api/v1/users/" + user.id() + "/enable").then().statusCode(200);
        given().auth().oauth2(key).get("/v1/models").then().statusCode(200);
        given().auth().oauth2(TOKEN).delete("/api/v1/users/" + user.id()).then().statusCode(204);
        refusedOnV1(key, "Incorrect API key");
        given().auth().oauth2(TOKEN).get("/api/v1/users/" + user.id()).then().statusCode(404)
                .body("code", equalTo(404));
    }

    @Test
    void nonAdminsAreKeptOffAdminRoutesButManageTheirOwnKeys() {
        User alice = user(false);
        User bob = user(false);
        String aliceKey = key(alice);
        String[] bobKey = key(bob, Map.of());
        for (String path : List.of("/api/v1/users", "/api/v1/models", "/api/v1/workers", "/q/metrics",
                "/q/openapi")) {
            given().auth().oauth2(aliceKey).get(path).then().statusCode(403)
                    .body("code", equalTo(403)).body("reason", equalTo("Forbidden"))
                    .body("message", containsString("admin"));
        }
        given().auth().oauth2(aliceKey).contentType("application/json").body(Map.of("name", "x"))
                .post("/api/v1/users").then().statusCode(403);
        // who she is, and her own usage (none yet; everyone else's rows stay hidden)
        given().auth().oauth2(aliceKey).get("/api/v1/me").then().statusCode(200)
                .body("user_id", equalTo(alice.id())).body("user_name", equalTo(alice.name()))
                .body("admin", equalTo(false));
        given().auth().oauth2(aliceKey).get("/api/v1/usage").then().statusCode(200)
                .body("pagination.total", equalTo(0));
        // her own keys: create (a body read after the key was loaded from the database), list
        String second = given().auth().oauth2(aliceKey).contentType("application/json")
                .body(Map.of("name", "second", "requests_per_minute", 100))
                .post("/api/v1/api-keys").then().statusCode(201)
                .body("user_id", equalTo(alice.id())).body("requests_per_minute", equalTo(100))
                .extract().path("key");
        SECRETS.add(second);
        given().auth().oauth2(second).get("/api/v1/api-keys").then().statusCode(200)
                .body("items.size()", equalTo(2)).body("items.user_id", not(hasItem(bob.id())))
                .body("pagination.total", equalTo(2));
        // not Bob's
        given().auth().oauth2(aliceKey).contentType("application/json")
                .body(Map.of("name", "sneaky", "user_id", bob.id()))
                .post("/api/v1/api-keys").then().statusCode(403).body("message", containsString("user_id"));
        given().auth().oauth2(aliceKey).get("/api/v1/api-keys?user_id=" + bob.id()).then().statusCode(403);
        given().auth().oauth2(aliceKey).get("/api/v1/api-keys/" + bobKey[0]).then().statusCode(404);
        given().auth().oauth2(aliceKey).post("/api/v1/api-keys/" + bobKey[0] + "/revoke").then().statusCode(404);
        given().auth().oauth2(bobKey[1]).get("/v1/models").then().statusCode(200);
        // an admin sees both, or one user's
        given().auth().oauth2(TOKEN).get("/api/v1/api-keys?user_id=" + bob.id()).then().statusCode(200)
                .body("items.id", equalTo(List.of(bobKey[0])));
    }

    @Test
    void anAdminUsersKeyIsAnAdminAndTheClusterTokenStillWorks() {
        String adminKey = key(user(true));
        given().auth().oauth2(adminKey).get("/api/v1/users").then().statusCode(200);
        given().auth().oauth2(adminKey).contentType("application/json")
                .body(Map.of("name", "made-by-admin-" + UUID.randomUUID().toString().substring(0, 6)))
                .post("/api/v1/users").then().statusCode(201).body("admin", equalTo(false));
        given().auth().oauth2(adminKey).get("/api/v1/me").then().statusCode(200).body("admin", equalTo(true));
        given().auth().oauth2(TOKEN).get("/v1/models").then().statusCode(200);
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200);
        given().auth().oauth2(TOKEN).get("/api/v1/me").then().statusCode(200)
                .body("key_id", equalTo("cluster")).body("admin", equalTo(true));
    }

    @Test
    void aBodyArrivesWhenTheKeyHadToBeLoadedFirst() {
        // a fresh key is not cached: the filter waits for the database, then the forwarding route reads the body
        String key = key(user(false));
        given().auth().oauth2(key).contentType("application/json").body("{\"model\": ")
                .post("/v1/chat/completions").then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"));
        String another = key(user(false));
        given().auth().oauth2(another).contentType("application/json")
                .body("{\"model\": \"no-such-model-" + UUID.randomUUID() + "\", \"messages\": []}")
                .post("/v1/chat/completions").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"));
    }

    @Test
    void badInputNamesTheFieldAndWhatItAccepts() {
        User user = user(false);
        record Case(Map<String, Object> body, String expected) {
        }
        List<Case> cases = List.of(
                new Case(Map.of("user_id", user.id()), "name: must be 1 to 64 characters"),
                new Case(Map.of("name", "has space", "user_id", user.id()), "name: must be"),
                new Case(Map.of("name", "k", "user_id", "nope"), "user_id: must be a user id (a UUID)"),
                new Case(Map.of("name", "k", "user_id", UUID.randomUUID().toString()), "user_id: no user"),
                new Case(Map.of("name", "k"), "user_id: required with the cluster token"),
                new Case(Map.of("name", "k", "user_id", user.id(), "requests_per_minute", -1),
                        "requests_per_minute: must be from 0 (unlimited) to 1000000"),
                new Case(Map.of("name", "k", "user_id", user.id(), "tokens_per_minute", -5),
                        "tokens_per_minute: must be from 0 (unlimited)"));
        for (Case c : cases) {
            given().auth().oauth2(TOKEN).contentType("application/json").body(c.body())
                    .post("/api/v1/api-keys").then().statusCode(c.expected().contains("no user") ? 404 : 400)
                    .body("message", containsString(c.expected()));
        }
        given().auth().oauth2(TOKEN).contentType("application/json").body(Map.of("admin", true))
                .post("/api/v1/users").then().statusCode(400).body("message", containsString("name:"));
        given().auth().oauth2(TOKEN).contentType("application/json").body(Map.of("name", user.name()))
                .post("/api/v1/users").then().statusCode(409).body("reason", equalTo("Conflict"));
        given().auth().oauth2(TOKEN).get("/api/v1/users?per_page=0").then().statusCode(400)
                .body("message", containsString("query parameter 'per_page' must be an integer from 1 to 500"));
    }

    @Test
    void requestsPerMinuteAnswer429WithRetryAfter() {
        String key = key(user(false), Map.of("requests_per_minute", 2))[1];
        given().auth().oauth2(key).get("/v1/models").then().statusCode(200);
        given().auth().oauth2(key).get("/v1/models").then().statusCode(200);
        String retryAfter = given().auth().oauth2(key).get("/v1/models").then().statusCode(429)
                .body("error.code", equalTo("rate_limit_exceeded"))
                .body("error.message", containsString("2 requests per minute"))
                .extract().header("Retry-After");
        long seconds = Long.parseLong(retryAfter);
        assertTrue(seconds >= 1 && seconds <= 30, retryAfter);
        // another key of the same user has its own budget
        given().auth().oauth2(key(user(false), Map.of("requests_per_minute", 2))[1]).get("/v1/models").then()
                .statusCode(200);
    }

    @Test
    void tokensChargedAfterAResponseCountAgainstTheNextRequest() {
        User user = user(false);
        String[] made = key(user, Map.of("tokens_per_minute", 60));
        given().auth().oauth2(made[1]).get("/v1/models").then().statusCode(200);
        budget.charge(new Caller(made[0], user.id(), user.name(), false, 0, 60), 600);
        String retryAfter = given().auth().oauth2(made[1]).get("/v1/models").then().statusCode(429)
                .body("error.type", equalTo("requests"))
                .body("error.message", containsString("60 tokens per minute"))
                .extract().header("Retry-After");
        assertTrue(Long.parseLong(retryAfter) >= 500, retryAfter);
    }

    /** Runs last: every key and the cluster token used above must be absent from the whole run's log. */
    @Test
    @Order(Integer.MAX_VALUE)
    void noKeyOrTokenEverAppearsInALogLine() throws Exception {
        Path log = Path.of("target/gateway-test.log");
        String text = Files.readString(log);
        // the log is really being written: the first start named the key file, keys were created
        assertTrue(text.contains(dataDir.resolve(AdminBootstrap.KEY_FILE).toAbsolutePath().toString()),
                "the first start's log line naming the key file");
        assertTrue(text.contains("Created API key"), "key creation is logged (by id)");
        assertFalse(SECRETS.isEmpty());
        SECRETS.add(TOKEN);
        for (String secret : SECRETS) {
            assertFalse(text.contains(secret), "a secret appears in " + log);
            ApiKeyFormat.parse(secret).ifPresent(p -> assertFalse(text.contains(p.secret()),
                    "a key's secret part appears in " + log));
        }
    }
}
