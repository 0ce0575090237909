package dev.gpufleet.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.events.Topics;
import dev.gpufleet.localstack.testing.ProcessInspection;
import dev.gpufleet.localstack.launcher.LocalStack;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.gpufleet.e2e.EmbeddedDefaultTest.startQuietly;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The walking skeleton, every part real: a generated GGUF model registered through the admin API runs on the worker
 * agent's llama.cpp backend and answers chat and completion requests through the gateway, streaming too; a
 * crashed backend is reported with its exit code and log and started again; deleting the model stops it.
 */
class InferenceFlowTest {
    private static final Duration RUNNING_TIMEOUT = Duration.ofSeconds(120);
    private static final String HUB_TOKEN = "hf_e2eHubToken0123456789abcdefABCD";

    @TempDir
    Path dataDir;

    @Test
    void generatedModelAnswersThroughTheGatewayIsRestartedAfterACrashAndStopsWhenDeleted() throws Exception {
        Path modelFile = dataDir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 11, modelFile);
        LocalStack.Options options = EmbeddedDefaultTest.options(dataDir.resolve("stack"), Map.of(
                "GPUFLEET_WORKER_HEARTBEAT_INTERVAL", "1s",
                "GPUFLEET_SCHEDULER_RESTART_BACKOFF_BASE", "1s",
                "GPUFLEET_WORKER_HUGGINGFACE_TOKEN", HUB_TOKEN));

        try (LocalStack stack = startQuietly(options)) {
            // the service token for the internal services' APIs; the gateway takes API keys only
            String token = stack.clusterToken();
            String adminKey = stack.adminApiKey();
            String gateway = stack.gatewayUrl();
            String spec = "{\"name\": \"tiny\", \"source\": {\"type\": \"local_path\", \"path\": \""
                    + modelFile.toAbsolutePath()
                    + "\"}, \"backend_parameters\": [\"--ctx-size=512\", \"--embeddings\"]}";
            // the dry run first: the registry analyses, the scheduler answers where it would go, nothing is created
            JsonNode evaluation = await().atMost(Duration.ofSeconds(30)).until(() -> Http.json(Http.send("POST",
                    stack.registryUrl() + "/api/v1/model-evaluations", token, "{\"model_specs\": [" + spec + "]}"),
                    200).get("results").get(0), r -> r.path("compatible").asBoolean());
            assertEquals("ANALYZED", evaluation.path("analysis").path("state").asText(), evaluation.toString());
            assertTrue(evaluation.path("placement").path("worker_name").asText().length() > 0, evaluation.toString());
            assertTrue(evaluation.path("placement").path("rationale").asText().length() > 0, evaluation.toString());
            assertEquals(0, Http.json(Http.send("GET", stack.schedulerUrl() + "/api/v1/instances", token, null), 200)
                    .path("pagination").path("total").asInt(), "a dry run creates nothing");

            String modelId = Http.json(Http.send("POST", stack.registryUrl() + "/api/v1/models", token, spec), 201)
                    .get("id").asText();

            JsonNode instance = awaitRunning(stack, token, modelId, -1);
            assertTrue(instance.path("endpoint").asText().startsWith("127.0.0.1:"), instance.toString());
            backendHoldsNoCredentialAndListensOnlyOnLoopback(instance.get("pid").asLong(),
                    List.of(token, HUB_TOKEN, stack.kafkaBootstrapServers()));

            // non-streaming chat: content and usage; the gateway hears of RUNNING over Kafka a moment after the
            // scheduler says it (until then: 503 model_not_ready)
            JsonNode chat = Http.json(await().atMost(EmbeddedDefaultTest.FLOW_TIMEOUT).until(() -> Http.send("POST",
                    gateway + "/v1/chat/completions", adminKey, """
                    {"model": "tiny", "messages": [{"role": "user", "content": "hello gpu"}], "max_tokens": 12,
                     "seed": 1}"""), r -> r.statusCode() != 503), 200);
            assertEquals("chat.completion", chat.path("object").asText(), chat.toString());
            assertTrue(chat.at("/choices/0/message/content").isTextual(), chat.toString());
            assertEquals("assistant", chat.at("/choices/0/message/role").asText(), chat.toString());
            JsonNode usage = chat.get("usage");
            assertTrue(usage.get("prompt_tokens").asInt() > 0, usage.toString());
            assertTrue(usage.get("completion_tokens").asInt() > 0 && usage.get("completion_tokens").asInt() <= 12,
                    usage.toString());
            assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                    usage.get("total_tokens").asInt());

            // streaming chat: several data: chunks, then [DONE]
            HttpResponse<Stream<String>> stream = Http.postForLines(gateway + "/v1/chat/completions", adminKey, """
                    {"model": "tiny", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 16,
                     "stream": true}""");
            assertEquals(200, stream.statusCode());
            assertTrue(stream.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            List<String> data = stream.body().filter(l -> l.startsWith("data:")).collect(Collectors.toList());
            assertTrue(data.size() >= 3, "expected several chunks, got " + data);
            assertEquals("data: [DONE]", data.get(data.size() - 1));
            JsonNode firstChunk = Http.JSON.readTree(data.get(0).substring("data:".length()).trim());
            assertEquals("chat.completion.chunk", firstChunk.path("object").asText(), firstChunk.toString());

            // completion
            JsonNode completion = Http.json(Http.send("POST", gateway + "/v1/completions", adminKey, """
                    {"model": "tiny", "prompt": "the gpu cluster", "max_tokens": 8}"""), 200);
            assertTrue(completion.at("/choices/0/text").isTextual(), completion.toString());
            assertTrue(completion.at("/usage/completion_tokens").asInt() > 0, completion.toString());

            // OpenAI's official Java client, unchanged but for the base URL and the key
            long t0 = System.nanoTime();
            OpenAiClientChecks.run(gateway, adminKey, "tiny");
            System.out.printf("### OpenAI Java client checks took %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // a crashed backend: ERROR with its exit code and log tail, then started again
            long pid = instance.get("pid").asLong();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            JsonNode restarted = awaitRunning(stack, token, modelId, pid);
            assertTrue(restarted.get("restart_count").asInt() >= 1, restarted.toString());
            String error = errorMessageOnTopic(stack, instance.get("id").asText());
            assertTrue(error.contains("137"), "exit code of the killed backend in: " + error);
            assertTrue(error.lines().count() > 1, "log tail in: " + error);
            Http.json(Http.send("POST", gateway + "/v1/completions", adminKey,
                    "{\"model\": \"tiny\", \"prompt\": \"again\", \"max_tokens\": 4}"), 200);

            // deleting the model stops the backend and the gateway forgets the model
            int port = Integer.parseInt(restarted.get("endpoint").asText().split(":")[1]);
            assertEquals(204, Http.send("DELETE", stack.registryUrl() + "/api/v1/models/" + modelId, token, null)
                    .statusCode());
            await().atMost(EmbeddedDefaultTest.FLOW_TIMEOUT).until(() -> !listening(port));
            await().atMost(EmbeddedDefaultTest.FLOW_TIMEOUT).untilAsserted(() -> {
                HttpResponse<String> gone = Http.send("POST", gateway + "/v1/chat/completions", adminKey,
                        "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
                assertEquals(404, gone.statusCode(), gone.body());
                assertEquals("model_not_found", Http.JSON.readTree(gone.body()).at("/error/code").asText());
            });
            long lastPid = restarted.get("pid").asLong();
            await().atMost(EmbeddedDefaultTest.FLOW_TIMEOUT)
                    .until(() -> !ProcessHandle.of(lastPid).map(ProcessHandle::isAlive).orElse(false));
        }
    }

    /**
     * The agent holds the service token, the Kafka address and a hub token; the real llama.cpp backend it started
     * holds none of them, gets its own key from its environment rather than its command line, and listens on loopback
     * only (the worker's advertised address on the embedded default).
     */
    private static void backendHoldsNoCredentialAndListensOnlyOnLoopback(long backendPid, List<String> secrets)
            throws Exception {
        for (long pid : ProcessInspection.withDescendants(backendPid)) {
            Map<String, String> environ = ProcessInspection.environ(pid);
            for (String secret : secrets) {
                assertFalse(environ.toString().contains(secret), "backend process " + pid + " holds " + secret
                        + " in " + environ.keySet());
            }
            assertEquals(List.of(), environ.keySet().stream().filter(n -> n.startsWith("GPUFLEET_")
                    || n.startsWith("KAFKA_") || n.startsWith("QUARKUS_")).toList(), "the agent's settings");
        }
        String commandLine = new String(java.nio.file.Files.readAllBytes(Path.of("/proc", Long.toString(backendPid),
                "cmdline")), java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ');
        assertFalse(commandLine.contains("--api-key"), "the instance key is not on the command line: " + commandLine);
        List<ProcessInspection.Listening> listening = ProcessInspection.listening(backendPid);
        assertFalse(listening.isEmpty(), "the backend listens");
        assertTrue(listening.stream().allMatch(l -> l.address().equals("127.0.0.1")), listening.toString());
    }

    /** Waits for a RUNNING instance whose backend is not {@code notPid}. */
    private static JsonNode awaitRunning(LocalStack stack, String token, String modelId, long notPid) {
        AtomicReference<JsonNode> running = new AtomicReference<>();
        await().atMost(RUNNING_TIMEOUT).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            JsonNode items = Http.items(Http.get(stack.schedulerUrl() + "/api/v1/instances?model_id=" + modelId,
                    token));
            assertEquals(1, items.size(), items.toString());
            JsonNode listed = items.get(0);
            JsonNode one = Http.json(Http.get(stack.schedulerUrl() + "/api/v1/instances/" + listed.get("id").asText(),
                    token), 200);
            assertEquals("RUNNING", one.get("state").asText(), one.toString());
            assertNotEquals(notPid, one.path("pid").asLong(-1), one.toString());
            running.set(one);
        });
        return running.get();
    }

    /** The message of the ERROR the scheduler published for the instance on gpufleet.instances. */
    private static String errorMessageOnTopic(LocalStack stack, String instanceId) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.kafkaBootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "e2e-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(Topics.INSTANCES));
            List<String> errors = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (errors.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (instanceId.equals(r.key()) && r.value() != null) {
                        JsonNode event = Http.JSON.readTree(r.value());
                        if ("ERROR".equals(event.at("/payload/state").asText())) {
                            errors.add(event.at("/payload/stateMessage").asText());
                        }
                    }
                }
            }
            assertFalse(errors.isEmpty(), "no ERROR published for " + instanceId);
            return errors.get(0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
