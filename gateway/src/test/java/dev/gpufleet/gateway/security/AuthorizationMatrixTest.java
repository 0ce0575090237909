package dev.gpufleet.gateway.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.localstack.testing.AccessRules;
import dev.gpufleet.localstack.testing.AccessRules.Access;
import dev.gpufleet.localstack.testing.AccessRules.Credential;
import dev.gpufleet.localstack.testing.AccessRules.Surface;
import dev.gpufleet.localstack.testing.TestClusterToken;
import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's authorisation matrix: every route, those of its OpenAPI document (JAX-RS) and those registered on
 * its Vert.x router directly (the OpenAI forwarding, the admin API's forwarding, instance logs, the console, Quarkus'
 * own), is called with no credential, a user's key, an admin's key, the service token and the metrics token, and
 * each answer is checked against {@link AccessRules}; /q/metrics likewise on the management port. A route with no
 * rule there fails this test, so a new route cannot go in without one.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class AuthorizationMatrixTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A loopback address of this test's own, so its refusals do not count against other tests' address. */
    private static final String FROM = "127.0.0.66";
    /** Sample paths for routes registered as regular expressions. */
    private static final Map<String, String> REGEX_SAMPLES = Map.of(
            "/console/([0-9a-f]+)/(.+)", "/console/0a1b/app.js");
    /**
     * Quarkus' own endpoints, served by a router mounted under /q/ (listed as the one route /q/): named here, as the
     * router list shows only the mount.
     */
    private static final List<Call> QUARKUS_ENDPOINTS = List.of(new Call("GET", "/q/health"),
            new Call("GET", "/q/health/live"), new Call("GET", "/q/health/ready"),
            new Call("GET", "/q/health/started"), new Call("GET", "/q/openapi"), new Call("GET", "/q/metrics"),
            new Call("GET", "/q/dev-ui"), new Call("GET", "/q/swagger-ui"));

    record Call(String method, String path) {
    }

    @Test
    void everyRouteAnswersEachCredentialAsTheRuleTableSays() throws Exception {
        Map<Credential, String> credentials = credentials();
        List<Call> calls = new ArrayList<>(vertxRoutes());
        calls.addAll(openApiOperations());
        calls.addAll(QUARKUS_ENDPOINTS);
        TreeSet<String> noRule = new TreeSet<>();
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Call call : calls) {
            var access = AccessRules.access(Surface.GATEWAY, call.path());
            if (access.isEmpty()) {
                noRule.add(call.method() + " " + call.path());
                continue;
            }
            String path = concrete(call.path());
            for (Map.Entry<Credential, String> credential : credentials.entrySet()) {
                int status = request(RestAssured.port, call.method(), path, credential.getValue());
                AccessRules.Outcome expected = AccessRules.expected(access.get(), credential.getKey());
                checked++;
                if (!expected.matches(status)) {
                    wrong.add(call.method() + " " + path + " (" + access.get() + ") with " + credential.getKey()
                            + ": " + status + ", expected " + expected);
                }
            }
        }
        for (Map.Entry<Credential, String> credential : credentials.entrySet()) {
            int status = request(TestManagement.port(), "GET", "/q/metrics", credential.getValue());
            AccessRules.Outcome expected = AccessRules.expected(
                    AccessRules.access(Surface.MANAGEMENT, "/q/metrics").orElseThrow(), credential.getKey());
            checked++;
            if (!expected.matches(status)) {
                wrong.add("GET /q/metrics (management port) with " + credential.getKey() + ": " + status
                        + ", expected " + expected);
            }
        }
        assertEquals(new TreeSet<>(), noRule, "routes without a rule in AccessRules: give each one");
        assertEquals(List.of(), wrong);
        assertTrue(checked >= 5 * 20, "only " + checked + " calls: the routes were not all found");
    }

    /** Each credential as sent; null for none. A fresh non-admin user's key for USER_KEY. */
    private static Map<Credential, String> credentials() {
        String userId = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "matrix-" + UUID.randomUUID().toString().substring(0, 8), "admin", false))
                .post("/api/v1/users").then().statusCode(201).extract().path("id");
        String userKey = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", "matrix", "user_id", userId))
                .post("/api/v1/api-keys").then().statusCode(201).extract().path("key");
        Map<Credential, String> credentials = new EnumMap<>(Credential.class);
        credentials.put(Credential.NONE, null);
        credentials.put(Credential.USER_KEY, userKey);
        credentials.put(Credential.ADMIN_KEY, ADMIN_API_KEY);
        credentials.put(Credential.SERVICE_TOKEN, TestClusterToken.TOKEN);
        credentials.put(Credential.METRICS_TOKEN, TestClusterToken.METRICS_TOKEN);
        return credentials;
    }

    /** The routes registered on the router itself (with a path or a pattern); the JAX-RS ones come from OpenAPI. */
    private static List<Call> vertxRoutes() {
        assertTrue(RouterCapture.router != null, "the router was not captured");
        List<Call> calls = new ArrayList<>();
        for (Route route : RouterCapture.router.getRoutes()) {
            String path = route.getPath();
            if (path == null && route.isRegexPath()) {
                path = REGEX_SAMPLES.get(route.getName());
                if (path == null) {
                    calls.add(new Call("GET", "regex " + route.getName() + " (add a sample path to this test)"));
                    continue;
                }
            }
            if (path == null) {
                continue; // a handler for every request: filters, the JAX-RS dispatcher
            }
            if (path.endsWith("/") && path.length() > 1) {
                path = path + "matrix-probe"; // a prefix route (/api/v1/*)
            }
            var methods = route.methods();
            String method = methods == null || methods.isEmpty() ? "GET"
                    : methods.stream().map(HttpMethod::name).sorted().findFirst().orElseThrow();
            calls.add(new Call(method, path));
        }
        return calls;
    }

    private static List<Call> openApiOperations() throws IOException {
        JsonNode document = JSON.readTree(given().auth().oauth2(ADMIN_API_KEY).get("/q/openapi?format=json").then()
                .statusCode(200).extract().asString());
        List<Call> calls = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(
                method -> calls.add(new Call(method.toUpperCase(java.util.Locale.ROOT), path.getKey()))));
        assertTrue(calls.size() >= 10, "the OpenAPI document lists " + calls.size() + " operations");
        return calls;
    }

    /** Path parameters ({id}) replaced by a value no entity has. */
    private static String concrete(String path) {
        return path.replaceAll("\\{[^}]+}", "matrix-probe");
    }

    /** One request on a connection of its own from {@link #FROM}; a JSON body {} where the method takes one. */
    private static int request(int port, String method, String path, String bearer) throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(FROM, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(30_000);
            boolean body = List.of("POST", "PUT", "PATCH").contains(method);
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (bearer == null ? "" : "Authorization: Bearer " + bearer + "\r\n")
                    + (body ? "Content-Type: application/json\r\nContent-Length: 2\r\n" : "")
                    + "Connection: close\r\n\r\n" + (body ? "{}" : "");
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            byte[] status = socket.getInputStream().readNBytes(12);
            return Integer.parseInt(new String(status, StandardCharsets.US_ASCII).substring(9, 12));
        }
    }
}
