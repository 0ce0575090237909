package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.e2e.docs.ApiReference;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first real flow through the whole system, each service its own process as {@code ./gpufleet up} runs them:
 * register a model with the registry, see the scheduler create its instances and the gateway list it, scale it,
 * see the worker agent's heartbeats, then stop everything and start again on the same data: the model is still
 * there and its instance runs again.
 */
class EmbeddedDefaultTest {
    static final Duration FLOW_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dataDir;

    @Test
    void modelFlowsFromRegistryThroughSchedulerToGatewayAndSurvivesARestartOfTheStack() throws Exception {
        // the authorisation matrix sends hundreds of refused calls from one address: room for them
        LocalStack.Options options = options(dataDir, Map.of("GPUFLEET_WORKER_SIMULATED_DEVICES",
                "nvidia:NVIDIA GeForce RTX 4090:24GiB", "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s",
                "GPUFLEET_GATEWAY_AUTH_MAX_FAILURES_PER_MINUTE", "100000"));
        Path modelFile = dataDir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 7, modelFile);
        String source = "{\"type\": \"local_path\", \"path\": \"" + modelFile.toAbsolutePath() + "\"}";

        String modelId;
        long t0 = System.nanoTime();
        try (LocalStack stack = startQuietly(options)) {
            System.out.printf("### embedded default ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            String token = stack.clusterToken();
            assertEquals(token, Files.readString(stack.clusterTokenFile()).trim());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.clusterTokenFile())));

            assertEquals(401, Http.get(stack.gatewayUrl() + "/v1/models", null).statusCode());
            oneCredentialPerPurpose(stack);
            AuthorizationMatrix.check(stack);
            String adminKey = stack.adminApiKey();
            specInputThatCouldRunCodeIsRefused(stack, token, source);

            JsonNode model = Http.json(Http.send("POST", stack.registryUrl() + "/api/v1/models", token,
                    "{\"name\": \"demo-llm\", \"source\": " + source + ", \"replicas\": 2}"), 201);
            modelId = model.get("id").asText();
            assertEquals("llama-box", model.get("backend").asText(), "a GGUF file selects llama-box");

            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(2, instanceStates(stack, token, modelId).size()));
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("demo-llm"), gatewayModels(stack, adminKey)));

            Http.json(Http.send("PUT", stack.registryUrl() + "/api/v1/models/" + modelId, token,
                    "{\"name\": \"demo-llm\", \"source\": " + source + ", \"replicas\": 1}"), 200);
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(1, instanceStates(stack, token, modelId).size()));

            await().atMost(FLOW_TIMEOUT).untilAsserted(() -> {
                JsonNode workers = Http.items(Http.get(stack.schedulerUrl() + "/api/v1/workers", token));
                assertEquals(1, workers.size(), workers.toString());
                assertEquals("READY", workers.get(0).get("state").asText(), workers.toString());
                assertTrue(workers.toString().contains("RTX 4090"), workers.toString());
            });

            apiReferenceMatchesTheOpenApiDocuments(stack, token, adminKey);
        }

        // a second run reuses the data: the model is still registered, and the gateway rebuilds its table
        try (LocalStack stack = startQuietly(options)) {
            String token = stack.clusterToken();
            String adminKey = stack.adminApiKey();
            Http.json(Http.get(stack.registryUrl() + "/api/v1/models/" + modelId, token), 200);
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("demo-llm"), gatewayModels(stack, adminKey)));
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("RUNNING"), instanceStates(stack, token, modelId)));
        }
    }

    /**
     * docs/api.md lists exactly the operations each service's OpenAPI document has (the worker-agent's: checked by its
     * own ApiReferenceDocTest); with
     * {@code -Dgpufleet.docs.write=true} it is regenerated from them first (the hand-written text stays).
     */
    static void apiReferenceMatchesTheOpenApiDocuments(LocalStack stack, String token, String adminKey)
            throws Exception {
        Map<String, List<ApiReference.Operation>> documents = ApiReference.ordered();
        documents.put("gateway", openApi(stack.gatewayUrl(), adminKey));
        documents.put("model-registry", openApi(stack.registryUrl(), token));
        documents.put("scheduler-service", openApi(stack.schedulerUrl(), token));
        // the packaged worker-agent has no /q/openapi (footprint, bench/README.md): its ApiReferenceDocTest checks its table
        Path doc = Path.of(System.getProperty("gpufleet.root", "..")).resolve("docs/api.md");
        String markdown = Files.readString(doc);
        if (Boolean.getBoolean("gpufleet.docs.write")) {
            markdown = ApiReference.regenerate(markdown, documents);
            Files.writeString(doc, markdown);
        }
        assertEquals(List.of(), ApiReference.drift(markdown, documents),
                "docs/api.md and the services' /q/openapi differ; regenerate with -Dgpufleet.docs.write=true");
    }

    static List<ApiReference.Operation> openApi(String serviceUrl, String token) throws Exception {
        return ApiReference.operations(Http.json(Http.get(serviceUrl + "/q/openapi?format=json", token), 200));
    }

    static LocalStack startQuietly(LocalStack.Options options) {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        return LocalStack.start(options, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    /** The tests' models lie in their temporary directories: those may be registered from. */
    /** A model may not preload a library nor load a file outside the local roots: 400 naming the field. */
    private static void specInputThatCouldRunCodeIsRefused(LocalStack stack, String token, String source)
            throws Exception {
        JsonNode preload = Http.json(Http.send("POST", stack.registryUrl() + "/api/v1/models", token,
                "{\"name\": \"preload\", \"source\": " + source + ", \"env\": {\"LD_PRELOAD\": \"/tmp/x.so\"}}"),
                400);
        assertTrue(preload.path("message").asText().contains("env.LD_PRELOAD: not allowed"), preload.toString());
        JsonNode shadow = Http.json(Http.send("POST", stack.registryUrl() + "/api/v1/models", token,
                "{\"name\": \"shadow\", \"source\": {\"type\": \"local_path\", \"path\": \"/etc/shadow\"}}"),
                400);
        assertTrue(shadow.path("message").asText().contains("source.path: must lie under one of the local roots"),
                shadow.toString());
    }

    static LocalStack.Options options(Path dataDir, Map<String, String> extraEnv) {
        Map<String, String> env = new java.util.HashMap<>(extraEnv);
        env.putIfAbsent("GPUFLEET_MODELS_LOCAL_ROOTS", System.getProperty("java.io.tmpdir"));
        return new LocalStack.Options(Path.of(System.getProperty("gpufleet.root", "..")), dataDir, FreePorts.pick(),
                FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), Duration.ofSeconds(180), env);
    }

    static List<String> instanceStates(LocalStack stack, String token, String modelId) throws Exception {
        List<String> states = new ArrayList<>();
        Http.items(Http.get(stack.schedulerUrl() + "/api/v1/instances?model_id=" + modelId, token))
                .forEach(i -> states.add(i.get("state").asText()));
        return states;
    }

    /**
     * The embedded default holds one secret per purpose: the service token opens the internal services but not the
     * gateway (403 on /v1 and /api/v1, saying to send an API key), the admin's key opens the gateway, the metrics
     * token opens each management port's /q/metrics and nothing else; every secret is at least 32 bytes.
     */
    static void oneCredentialPerPurpose(LocalStack stack) throws Exception {
        String serviceToken = stack.clusterToken();
        String adminKey = stack.adminApiKey();
        String metricsToken = stack.metricsToken();
        for (String secret : List.of(serviceToken, metricsToken)) {
            assertTrue(secret.getBytes(StandardCharsets.UTF_8).length >= 32, "a secret of fewer than 32 bytes");
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.settingsFile())));
        for (String path : List.of("/v1/models", "/api/v1/models", "/api/v1/users")) {
            HttpResponse<String> refused = Http.get(stack.gatewayUrl() + path, serviceToken);
            assertEquals(403, refused.statusCode(), path + ": " + refused.body());
            assertTrue(refused.body().contains("API key"), refused.body());
            assertEquals(200, Http.get(stack.gatewayUrl() + path, adminKey).statusCode(), path);
            assertEquals(401, Http.get(stack.gatewayUrl() + path, metricsToken).statusCode(), path);
        }
        assertEquals(200, Http.get(stack.registryUrl() + "/api/v1/models", serviceToken).statusCode());
        assertEquals(401, Http.get(stack.registryUrl() + "/api/v1/models", adminKey).statusCode());
        assertEquals(401, Http.get(stack.registryUrl() + "/api/v1/models", metricsToken).statusCode());
        for (String component : List.of("gateway", "model-registry", "scheduler-service", "worker-agent")) {
            String metrics = stack.metricsUrl(component);
            assertEquals(200, Http.get(metrics, metricsToken).statusCode(), metrics);
            assertEquals(401, Http.get(metrics, serviceToken).statusCode(), metrics);
            assertEquals(401, Http.get(metrics, adminKey).statusCode(), metrics);
        }
    }

    static List<String> gatewayModels(LocalStack stack, String adminKey) throws Exception {
        List<String> ids = new ArrayList<>();
        Http.json(Http.get(stack.gatewayUrl() + "/v1/models", adminKey), 200).get("data")
                .forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }
}
