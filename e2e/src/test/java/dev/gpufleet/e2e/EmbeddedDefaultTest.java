package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.localstack.FreePorts;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
 * see the worker agent's heartbeats, then stop everything and start again on the same data.
 */
class EmbeddedDefaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration FLOW_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dataDir;

    @Test
    void modelFlowsFromRegistryThroughSchedulerToGatewayAndSurvivesARestartOfTheStack() throws Exception {
        LocalStack.Options options = new LocalStack.Options(Path.of(System.getProperty("gpufleet.root", "..")),
                dataDir, FreePorts.pick(), FreePorts.pick(), FreePorts.pick(), FreePorts.pick(),
                Duration.ofSeconds(180), Map.of("GPUFLEET_WORKER_SIMULATED_DEVICES",
                "nvidia:NVIDIA GeForce RTX 4090:24GiB", "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s"));

        String modelId;
        long t0 = System.nanoTime();
        try (LocalStack stack = startQuietly(options)) {
            System.out.printf("### embedded default ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            String token = stack.clusterToken();
            assertEquals(token, Files.readString(stack.clusterTokenFile()).trim());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(stack.clusterTokenFile())));

            assertEquals(401, get(stack.gatewayUrl() + "/v1/models", null).statusCode());

            HttpResponse<String> created = send("POST", stack.registryUrl() + "/api/v1/models", token, """
                    {"name": "demo-llm", "source": {"type": "local_path", "path": "/models/demo.gguf"}, "replicas": 2}
                    """);
            assertEquals(201, created.statusCode(), created.body());
            JsonNode model = JSON.readTree(created.body());
            modelId = model.get("id").asText();
            assertEquals("llama-box", model.get("backend").asText(), "a GGUF file selects llama-box");

            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("PENDING", "PENDING"), instanceStates(stack, token, modelId)));
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("demo-llm"), gatewayModels(stack, token)));

            HttpResponse<String> scaled = send("PUT", stack.registryUrl() + "/api/v1/models/" + modelId, token, """
                    {"name": "demo-llm", "source": {"type": "local_path", "path": "/models/demo.gguf"}, "replicas": 1}
                    """);
            assertEquals(200, scaled.statusCode(), scaled.body());
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("PENDING"), instanceStates(stack, token, modelId)));

            await().atMost(FLOW_TIMEOUT).untilAsserted(() -> {
                JsonNode workers = items(get(stack.schedulerUrl() + "/api/v1/workers", token));
                assertEquals(1, workers.size(), workers.toString());
                assertEquals("READY", workers.get(0).get("state").asText(), workers.toString());
                assertTrue(workers.toString().contains("RTX 4090"), workers.toString());
            });
        }

        // a second run reuses the data: the model is still registered, and the gateway rebuilds its table
        try (LocalStack stack = startQuietly(options)) {
            String token = stack.clusterToken();
            HttpResponse<String> again = get(stack.registryUrl() + "/api/v1/models/" + modelId, token);
            assertEquals(200, again.statusCode(), again.body());
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("demo-llm"), gatewayModels(stack, token)));
            await().atMost(FLOW_TIMEOUT).untilAsserted(() ->
                    assertEquals(List.of("PENDING"), instanceStates(stack, token, modelId)));
        }
    }

    private static LocalStack startQuietly(LocalStack.Options options) {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        return LocalStack.start(options, new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    private static List<String> instanceStates(LocalStack stack, String token, String modelId) throws Exception {
        List<String> states = new ArrayList<>();
        items(get(stack.schedulerUrl() + "/api/v1/instances?model_id=" + modelId, token))
                .forEach(i -> states.add(i.get("state").asText()));
        return states;
    }

    private static List<String> gatewayModels(LocalStack stack, String token) throws Exception {
        HttpResponse<String> r = get(stack.gatewayUrl() + "/v1/models", token);
        assertEquals(200, r.statusCode(), r.body());
        List<String> ids = new ArrayList<>();
        JSON.readTree(r.body()).get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    private static JsonNode items(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body()).get("items");
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> send(String method, String url, String token, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
