package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.localstack.launcher.LocalStack;
import dev.gpufleet.localstack.testing.AccessRules;
import dev.gpufleet.localstack.testing.AccessRules.Credential;
import dev.gpufleet.localstack.testing.AccessRules.Surface;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The authorisation matrix over the whole embedded default: every operation of every service's OpenAPI document
 * (the gateway's, and the registry's and the scheduler's both on their own port and forwarded through the
 * gateway's admin API), the worker agent's routes, and every management port's /q/metrics, each called with no
 * credential, a user's key, an admin's key and the service token (the public port and the internal ports) and the
 * metrics token, against {@link AccessRules}. An operation no rule names fails the test. The gateway's routes outside
 * its OpenAPI document (Vert.x routes) are checked by the gateway's own AuthorizationMatrixTest.
 */
final class AuthorizationMatrix {
    /** The worker agent's packaged build has no /q/openapi; its routes (docs/worker-agent.md, checked there). */
    private static final List<Operation> AGENT_OPERATIONS = List.of(new Operation("GET", "/api/v1/worker"),
            new Operation("GET", "/api/v1/logs/{instance}"), new Operation("GET", "/api/v1/model-files"),
            new Operation("DELETE", "/api/v1/model-files/{id}"), new Operation("GET", "/q/health/ready"));

    record Operation(String method, String path) {
    }

    private AuthorizationMatrix() {
    }

    static void check(LocalStack stack) throws Exception {
        Map<Credential, String> credentials = credentials(stack);
        String adminKey = credentials.get(Credential.ADMIN_KEY);
        String serviceToken = credentials.get(Credential.SERVICE_TOKEN);
        List<Operation> gateway = operations(stack.gatewayUrl(), adminKey);
        List<Operation> registry = operations(stack.registryUrl(), serviceToken);
        List<Operation> scheduler = operations(stack.schedulerUrl(), serviceToken);
        String agentUrl = stack.components().stream().filter(c -> c.name().equals("worker-agent")).findFirst()
                .orElseThrow().url();

        TreeSet<String> noRule = new TreeSet<>();
        List<String> wrong = new ArrayList<>();
        int[] checked = {0};
        record Target(Surface surface, String baseUrl, List<Operation> operations) {
        }
        List<Target> targets = List.of(
                new Target(Surface.GATEWAY, stack.gatewayUrl(), gateway),
                // the admin API of the registry and the scheduler, forwarded by the gateway
                new Target(Surface.GATEWAY, stack.gatewayUrl(), adminApiOnly(registry)),
                new Target(Surface.GATEWAY, stack.gatewayUrl(), adminApiOnly(scheduler)),
                new Target(Surface.INTERNAL, stack.registryUrl(), registry),
                new Target(Surface.INTERNAL, stack.schedulerUrl(), scheduler),
                new Target(Surface.INTERNAL, agentUrl, AGENT_OPERATIONS));
        for (Target target : targets) {
            for (Operation operation : target.operations()) {
                var access = AccessRules.access(target.surface(), operation.path());
                if (access.isEmpty()) {
                    noRule.add(target.surface() + " " + operation.method() + " " + operation.path());
                    continue;
                }
                String url = target.baseUrl() + operation.path().replaceAll("\\{[^}]+}", "matrix-probe");
                for (Map.Entry<Credential, String> credential : credentials.entrySet()) {
                    int status = call(operation.method(), url, credential.getValue());
                    AccessRules.Outcome expected = AccessRules.expected(access.get(), credential.getKey());
                    checked[0]++;
                    if (!expected.matches(status)) {
                        wrong.add(operation.method() + " " + url + " (" + access.get() + ") with "
                                + credential.getKey() + ": " + status + ", expected " + expected);
                    }
                }
            }
        }
        for (String component : List.of("gateway", "model-registry", "scheduler-service", "worker-agent")) {
            var access = AccessRules.access(Surface.MANAGEMENT, "/q/metrics").orElseThrow();
            for (Map.Entry<Credential, String> credential : credentials.entrySet()) {
                int status = call("GET", stack.metricsUrl(component), credential.getValue());
                AccessRules.Outcome expected = AccessRules.expected(access, credential.getKey());
                checked[0]++;
                if (!expected.matches(status)) {
                    wrong.add("GET " + stack.metricsUrl(component) + " with " + credential.getKey() + ": " + status
                            + ", expected " + expected);
                }
            }
        }
        assertEquals(new TreeSet<>(), noRule, "operations without a rule in AccessRules: give each one");
        assertEquals(List.of(), wrong);
        assertTrue(checked[0] > 5 * 60, "only " + checked[0] + " calls");
    }

    private static Map<Credential, String> credentials(LocalStack stack) throws Exception {
        String adminKey = stack.adminApiKey();
        JsonNode user = Http.json(Http.send("POST", stack.gatewayUrl() + "/api/v1/users", adminKey,
                "{\"name\": \"matrix-" + UUID.randomUUID().toString().substring(0, 8) + "\"}"), 201);
        String userKey = Http.json(Http.send("POST", stack.gatewayUrl() + "/api/v1/api-keys", adminKey,
                "{\"name\": \"matrix\", \"user_id\": \"" + user.get("id").asText() + "\"}"), 201).get("key").asText();
        Map<Credential, String> credentials = new EnumMap<>(Credential.class);
        credentials.put(Credential.NONE, null);
        credentials.put(Credential.USER_KEY, userKey);
        credentials.put(Credential.ADMIN_KEY, adminKey);
        credentials.put(Credential.SERVICE_TOKEN, stack.clusterToken());
        credentials.put(Credential.METRICS_TOKEN, stack.metricsToken());
        return credentials;
    }

    private static List<Operation> operations(String serviceUrl, String credential) throws Exception {
        JsonNode document = Http.json(Http.get(serviceUrl + "/q/openapi?format=json", credential), 200);
        List<Operation> operations = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(
                method -> operations.add(new Operation(method.toUpperCase(Locale.ROOT), path.getKey()))));
        assertTrue(!operations.isEmpty(), serviceUrl + " documents no operation");
        operations.add(new Operation("GET", "/q/openapi"));
        operations.add(new Operation("GET", "/q/health/ready"));
        return operations;
    }

    private static List<Operation> adminApiOnly(List<Operation> operations) {
        return operations.stream().filter(o -> o.path().startsWith("/api/v1/")).toList();
    }

    private static int call(String method, String url, String credential) throws Exception {
        boolean body = List.of("POST", "PUT", "PATCH").contains(method);
        HttpResponse<String> response = Http.send(method, url, credential, body ? "{}" : null);
        return response.statusCode();
    }
}
