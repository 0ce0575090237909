package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.localstack.testing.TestManagement;
import dev.gpufleet.localstack.testing.TestClusterToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Balancer;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.kit.auth.InstanceApiKeys;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
class ForwardingApiTest {
    static final String CHAT = "/v1/chat/completions";
    static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RoutingTable table;

    @Inject
    Balancer balancer;

    @Inject
    AgroalDataSource dataSource;

    private KafkaProducer<String, String> producer;
    private final List<FakeLlamaServer> backends = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void connect() {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    @AfterEach
    void disconnect() {
        producer.close();
        backends.forEach(FakeLlamaServer::close);
    }

    private FakeLlamaServer backend(String name, int chunks, Duration chunkDelay) throws IOException {
        FakeLlamaServer backend = new FakeLlamaServer(name, chunks, chunkDelay);
        backends.add(backend);
        return backend;
    }

    private void publish(String topic, Envelope<EventPayload> event) throws Exception {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event))).get();
    }

    /** A registered model; returns its name. */
    private String model(String modelId) throws Exception {
        String name = "org/model-" + modelId;
        publish(Topics.MODELS, Events.modelChanged(modelId, name, 1, 0));
        await().atMost(Duration.ofSeconds(20)).until(() -> table.model(name).isPresent());
        return name;
    }

    private void instance(String instanceId, String modelId, InstanceState state, String endpoint, long revision)
            throws Exception {
        publish(Topics.INSTANCES, Events.instanceChanged(instanceId, modelId, state, endpoint, revision));
    }

    /** A model whose instances {@code <modelId>-i0, -i1, ...} run at these endpoints; returns its name. */
    private String runningModel(String modelId, String... endpoints) throws Exception {
        String name = model(modelId);
        for (int i = 0; i < endpoints.length; i++) {
            instance(modelId + "-i" + i, modelId, InstanceState.RUNNING, endpoints[i], 1);
        }
        await().atMost(Duration.ofSeconds(20))
                .until(() -> table.routableInstances(name).size() == endpoints.length);
        return name;
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}],"
                + "\"stream\":" + stream + "}";
    }

    private static Response post(String path, String body) {
        return given().auth().oauth2(ADMIN_API_KEY).contentType("application/json").body(body).post(path);
    }

    private static int freePortNobodyListensOn() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void aPlainAnswerComesBackAsTheBackendSentItWithoutTheClientsToken() throws Exception {
        FakeLlamaServer backend = backend("alpha", 3, Duration.ZERO);
        String modelId = unique("plain");
        String model = runningModel(modelId, backend.endpoint());
        String body = chat(model, false);

        Response chat = post(CHAT, body);

        chat.then().statusCode(200)
                .contentType(startsWith("application/json"))
                .body("object", equalTo("chat.completion"))
                .body("model", equalTo(model))
                .body("choices[0].message.content", equalTo(backend.streamedText()))
                .body("usage.completion_tokens", equalTo(3));
        double overhead = Double.parseDouble(chat.header(OverheadHeader.NAME));
        assertTrue(overhead >= 0 && overhead < 5_000, "overhead " + overhead);
        FakeLlamaServer.Received received = backend.received.get(0);
        assertEquals(CHAT, received.path());
        assertEquals(body, received.body());
        assertEquals("application/json", received.headers().get("content-type"));
        assertEquals("Bearer " + InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, modelId + "-i0"),
                received.headers().get("authorization"));
        assertFalse(received.headers().toString().contains(ADMIN_API_KEY), received.headers().toString());

        post("/v1/completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once\"}").then().statusCode(200)
                .body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo(backend.streamedText()));
        post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":\"hi\"}").then().statusCode(200)
                .body("data[0].embedding[1]", equalTo(-0.5f));
        assertEquals(List.of(CHAT, "/v1/completions", "/v1/embeddings"), backend.paths());
    }

    @Test
    void theBackendsErrorStatusAndBodyPassThrough() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("status"), backend.endpoint());

        post(CHAT, "{\"model\":\"" + model + "\",\"max_tokens\":-1,\"messages\":[]}").then().statusCode(400)
                .contentType(startsWith("application/json"))
                .body("error.message", equalTo("max_tokens must be positive"))
                .body("error.code", equalTo(400));
        assertEquals(1, backend.received.size());
    }

    @Test
    void aStreamArrivesChunkByChunkWhileTheBackendIsStillWriting() throws Exception {
        int chunks = 5;
        FakeLlamaServer backend = backend("alpha", chunks, Duration.ofMillis(400));
        String model = runningModel(unique("stream"), backend.endpoint());

        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat(model, true))).build(),
                HttpResponse.BodyHandlers.ofInputStream());

        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("content-type").orElse(""));
        assertEquals("no-cache", response.headers().firstValue("cache-control").orElse(""));
        assertTrue(response.headers().firstValue(OverheadHeader.NAME).isPresent());
        List<String> events = new ArrayList<>();
        long firstEventAt = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("data: ")) {
                    if (events.isEmpty()) {
                        firstEventAt = System.nanoTime();
                    }
                    events.add(line.substring("data: ".length()));
                }
            }
        }
        assertEquals(chunks + 1, events.size(), events.toString());
        assertEquals("[DONE]", events.get(chunks));
        StringBuilder text = new StringBuilder();
        for (String event : events.subList(0, chunks)) {
            text.append(JSON.readTree(event)
                    .path("choices").path(0).path("delta").path("content").asText());
        }
        assertEquals(backend.streamedText(), text.toString());
        long lastSentAt = backend.chunkSentAt.get(backend.chunkSentAt.size() - 1);
        long aheadMillis = TimeUnit.NANOSECONDS.toMillis(lastSentAt - firstEventAt);
        // the backend needs (chunks - 1) * 400 ms after its first chunk; buffering would leave nothing ahead
        assertTrue(aheadMillis > 1_000, "first event reached the client only " + aheadMillis
                + " ms before the backend sent its last");
    }

    @Test
    void anUnknownModelIs404InOpenAiShape() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String missing = unique("no-such-model");

        post(CHAT, chat(missing, false)).then().statusCode(404)
                .contentType(startsWith("application/json"))
                .body("error.message", equalTo("The model '" + missing + "' does not exist"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("model"))
                .body("error.code", equalTo("model_not_found"));
        post("/v1/embeddings", "{\"model\":\"" + missing + "\",\"input\":\"x\"}").then().statusCode(404);
        assertTrue(backend.received.isEmpty());
    }

    @Test
    void aBodyWithoutAModelIs400InOpenAiShape() {
        post(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").then().statusCode(400)
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.param", equalTo("model"))
                .body("error.code", equalTo("missing_required_parameter"));
        post("/v1/completions", "{\"model\":42}").then().statusCode(400)
                .body("error.param", equalTo("model"))
                .body("error.code", equalTo("invalid_type"));
        post(CHAT, "this is not JSON").then().statusCode(400)
                .contentType(startsWith("application/json"))
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("invalid_json"));
        given().auth().oauth2(ADMIN_API_KEY).post(CHAT).then().statusCode(400).body("error.code", equalTo("invalid_json"));
    }

    @Test
    void withoutTheTokenNothingIsForwarded() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("token"), backend.endpoint());

        given().contentType("application/json").body(chat(model, false)).post(CHAT).then().statusCode(401)
                .body("error.code", equalTo("invalid_api_key"));
        given().auth().oauth2("wrong-token-0123456789").contentType("application/json").body(chat(model, false))
                .post(CHAT).then().statusCode(401);
        assertTrue(backend.received.isEmpty());
    }

    @Test
    void aModelWithoutARunningInstanceIs503WithRetryAfter() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String modelId = unique("starting");
        String model = model(modelId);

        post(CHAT, chat(model, false)).then().statusCode(503)
                .header("Retry-After", "5")
                .body("error.type", equalTo("service_unavailable"))
                .body("error.code", equalTo("model_not_ready"))
                .body("error.message", equalTo("The model '" + model
                        + "' has no running instance at the moment; retry shortly"));

        instance(modelId + "-i0", modelId, InstanceState.STARTING, backend.endpoint(), 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> table.snapshot().instances().containsKey(modelId + "-i0"));
        post(CHAT, chat(model, false)).then().statusCode(503).header("Retry-After", "5");

        instance(modelId + "-i0", modelId, InstanceState.RUNNING, backend.endpoint(), 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> table.routableInstances(model).size() == 1);
        post(CHAT, chat(model, false)).then().statusCode(200);

        instance(modelId + "-i0", modelId, InstanceState.ERROR, backend.endpoint(), 3);
        await().atMost(Duration.ofSeconds(20)).until(() -> table.routableInstances(model).isEmpty());
        post(CHAT, chat(model, true)).then().statusCode(503).header("Retry-After", "5");
        assertEquals(1, backend.received.size());
    }

    @Test
    void anUnreachableInstanceIsSkippedForALiveOne() throws Exception {
        FakeLlamaServer live = backend("live", 1, Duration.ZERO);
        String dead = "127.0.0.1:" + freePortNobodyListensOn();
        String model = runningModel(unique("retry"), dead, live.endpoint());

        for (int i = 0; i < 4; i++) {
            post(CHAT, chat(model, false)).then().statusCode(200)
                    .body("choices[0].message.content", equalTo(live.streamedText()));
        }
        assertEquals(4, live.received.size());
    }

    @Test
    void onlyUnreachableInstancesIs502InOpenAiShape() throws Exception {
        String oneDead = runningModel(unique("dead"), "127.0.0.1:" + freePortNobodyListensOn());
        post(CHAT, chat(oneDead, false)).then().statusCode(502)
                .contentType(startsWith("application/json"))
                .body("error.code", equalTo("backend_unreachable"))
                .body("error.message", containsString("backend unreachable"));

        String threeDead = runningModel(unique("dead3"), "127.0.0.1:" + freePortNobodyListensOn(),
                "127.0.0.1:" + freePortNobodyListensOn(), "not-an-endpoint");
        post(CHAT, chat(threeDead, true)).then().statusCode(502).body("error.code", equalTo("backend_unreachable"));
    }

    @Test
    void twoInstancesShareTheLoad() throws Exception {
        FakeLlamaServer a = backend("a", 1, Duration.ZERO);
        FakeLlamaServer b = backend("b", 1, Duration.ZERO);
        String model = runningModel(unique("share"), a.endpoint(), b.endpoint());

        for (int i = 0; i < 6; i++) {
            post(CHAT, chat(model, false)).then().statusCode(200);
        }
        assertEquals(3, a.received.size());
        assertEquals(3, b.received.size());
    }

    @Test
    void theInstanceWithFewerRequestsInFlightTakesTheNext() throws Exception {
        FakeLlamaServer a = backend("a", 25, Duration.ofMillis(200));
        FakeLlamaServer b = backend("b", 25, Duration.ofMillis(200));
        String modelId = unique("least");
        String model = runningModel(modelId, a.endpoint(), b.endpoint());

        CompletableFuture<HttpResponse<String>> longStream = http.sendAsync(
                HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                        .header("Authorization", "Bearer " + ADMIN_API_KEY)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(chat(model, true))).build(),
                HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a.streamsInProgress.get() + b.streamsInProgress.get() == 1);
        FakeLlamaServer busy = a.streamsInProgress.get() == 1 ? a : b;
        FakeLlamaServer idle = busy == a ? b : a;

        for (int i = 0; i < 3; i++) {
            post(CHAT, chat(model, false)).then().statusCode(200)
                    .body("choices[0].message.content", equalTo(idle.streamedText()));
        }
        assertEquals(1, busy.received.size());
        assertEquals(3, idle.received.size());
        assertTrue(longStream.get(20, TimeUnit.SECONDS).body().endsWith("data: [DONE]\n\n"));
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.outstanding(modelId + "-i0") == 0
                && balancer.outstanding(modelId + "-i1") == 0);
    }

    @Test
    void aClientThatLeavesCancelsTheBackendRequest() throws Exception {
        FakeLlamaServer backend = backend("alpha", 100, Duration.ofMillis(100));
        String modelId = unique("leave");
        String model = runningModel(modelId, backend.endpoint());
        byte[] body = chat(model, true).getBytes(StandardCharsets.UTF_8);

        try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + CHAT + " HTTP/1.1\r\nHost: " + gateway.getHost() + "\r\nAuthorization: Bearer "
                    + ADMIN_API_KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 200"), status);
            String line = in.readLine();
            while (line != null && !line.startsWith("data: ")) {
                line = in.readLine();
            }
            assertTrue(line != null, "the stream ended before its first event");
            assertEquals(1, balancer.outstanding(modelId + "-i0"));
        }

        await().atMost(Duration.ofSeconds(5)).until(() -> backend.abortedStreams.get() == 1);
        assertTrue(backend.chunkSentAt.size() < 50, "the backend kept writing: " + backend.chunkSentAt.size());
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.outstanding(modelId + "-i0") == 0);
    }

    @Test
    void aBackendThatBreaksOffMidStreamEndsTheClientsStreamWithAnErrorEvent() throws Exception {
        FakeLlamaServer backend = backend("alpha", 5, Duration.ofMillis(50));
        String modelId = unique("broken");
        String model = runningModel(modelId, backend.endpoint());
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"break_after\":2,\"messages\":[]}";

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        List<String> events = List.of(response.body().split("\n\n"));
        assertEquals(3, events.size(), response.body());
        assertTrue(events.get(0).contains(backend.token(0)) && events.get(1).contains(backend.token(1)),
                events.toString());
        var error = JSON.readTree(events.get(2).substring("data: ".length())).path("error");
        assertEquals("backend_disconnected", error.path("code").asText());
        assertEquals("api_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains(model), error.toString());
        assertFalse(response.body().contains("[DONE]"));
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.outstanding(modelId + "-i0") == 0);
        assertEquals(1, balancer.health(modelId + "-i0").consecutiveFailures());
    }

    @Test
    void aStreamThatFallsSilentIsCutOffAfterTheIdleTimeoutWithAnErrorEvent() throws Exception {
        // the test profile's idle timeout is 2 s; the backend goes silent after 2 chunks for a minute
        FakeLlamaServer backend = backend("alpha", 5, Duration.ZERO);
        String modelId = unique("stall");
        String model = runningModel(modelId, backend.endpoint());
        String body = "{\"model\":\"" + model + "\",\"stream\":true,\"stall_after\":2,\"messages\":[]}";

        long start = System.nanoTime();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertEquals(200, response.statusCode());
        assertTrue(tookMillis >= 1_900 && tookMillis < 20_000, "cut off after " + tookMillis + " ms");
        List<String> events = List.of(response.body().split("\n\n"));
        assertEquals(3, events.size(), response.body());
        assertTrue(events.get(1).contains(backend.token(1)), events.toString());
        var error = JSON.readTree(events.get(2).substring("data: ".length())).path("error");
        assertEquals("backend_disconnected", error.path("code").asText());
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.outstanding(modelId + "-i0") == 0);
        assertEquals(1, balancer.health(modelId + "-i0").consecutiveFailures());
    }

    @Test
    void theStreamEndsWithDoneForOpenAiClients() throws Exception {
        FakeLlamaServer backend = backend("alpha", 2, Duration.ZERO);
        String model = runningModel(unique("done"), backend.endpoint());

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway + "v1/completions"))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                        + "\",\"prompt\":\"Once\",\"stream\":true}")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertEquals("text/event-stream", response.headers().firstValue("content-type").orElse(""));
        assertTrue(response.body().endsWith("data: [DONE]\n\n"), response.body());
        assertEquals(3, response.body().split("\n\n").length, response.body());
        assertEquals("text/event-stream", backend.received.get(0).headers().get("accept"));
    }

    private HttpResponse<byte[]> send(String path, String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.toURI().resolve(path))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void rerankImagesAndSpeechPassThroughTheirAnswersAsSent() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("surface"), backend.endpoint());
        String rerank = "{\"model\":\"" + model + "\",\"query\":\"q\",\"documents\":[\"a\",\"b\"]}";

        post("/v1/rerank", rerank).then().statusCode(200)
                .body("results[0].index", equalTo(1))
                .body("results[0].relevance_score", equalTo(0.9f));
        post("/v1/reranking", rerank).then().statusCode(200).body("results[1].index", equalTo(0));
        post("/v1/images/generations", "{\"model\":\"" + model + "\",\"prompt\":\"a cat\",\"n\":1}")
                .then().statusCode(200).body("data[0].b64_json", equalTo("aGk="));
        HttpResponse<byte[]> speech = send("/v1/audio/speech", "application/json", ("{\"model\":\"" + model
                + "\",\"input\":\"Hello\",\"voice\":\"alloy\"}").getBytes(StandardCharsets.UTF_8));

        assertEquals(200, speech.statusCode());
        assertEquals("audio/mpeg", speech.headers().firstValue("content-type").orElse(""));
        assertArrayEquals(FakeLlamaServer.SPEECH, speech.body());
        // the alias reaches the backend under the name llama.cpp and vLLM both serve
        assertEquals(List.of("/v1/rerank", "/v1/rerank", "/v1/images/generations", "/v1/audio/speech"),
                backend.paths());
        assertEquals(rerank, backend.received.get(1).body());
    }

    @Test
    void aTranscriptionFormReachesTheBackendByteForByte() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String modelId = unique("whisper");
        String model = runningModel(modelId, backend.endpoint());
        String type = "multipart/form-data; boundary=" + MultipartFormTest.BOUNDARY;
        byte[] form = MultipartFormTest.form("file:", "model=" + model, "response_format=json");

        HttpResponse<byte[]> answer = send("/v1/audio/transcriptions", type, form);

        assertEquals(200, answer.statusCode(), new String(answer.body(), StandardCharsets.UTF_8));
        assertEquals("transcribed by alpha", JSON.readTree(answer.body()).path("text").asText());
        FakeLlamaServer.Received received = backend.received.get(0);
        assertEquals("/v1/audio/transcriptions", received.path());
        assertEquals(type, received.headers().get("content-type"));
        assertArrayEquals(form, received.raw());
        assertEquals("Bearer " + InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, modelId + "-i0"),
                received.headers().get("authorization"));

        HttpResponse<byte[]> noModel = send("/v1/audio/transcriptions", type, MultipartFormTest.form("file:"));
        assertEquals(400, noModel.statusCode());
        assertEquals("model", JSON.readTree(noModel.body()).path("error").path("param").asText());
        HttpResponse<byte[]> unknown = send("/v1/audio/translations", type,
                MultipartFormTest.form("model=" + unique("nope"), "file:"));
        assertEquals(404, unknown.statusCode());
        assertEquals("model_not_found", JSON.readTree(unknown.body()).path("error").path("code").asText());
        assertEquals(1, backend.received.size());
    }

    @Test
    void a5xxBeforeTheAnswerIsRetriedElsewhereAndAFailingInstanceIsThenSkipped() throws Exception {
        FakeLlamaServer failing = backend("failing", 1, Duration.ZERO);
        failing.forcedStatus = 503;
        FakeLlamaServer good = backend("good", 1, Duration.ZERO);
        String modelId = unique("fivexx");
        String model = runningModel(modelId, failing.endpoint(), good.endpoint());

        for (int i = 0; i < 10; i++) {
            post(CHAT, chat(model, false)).then().statusCode(200)
                    .body("choices[0].message.content", equalTo(good.streamedText()));
        }
        // three failures in a row, then skipped (gpufleet.gateway.routing.skip-for is long in tests)
        assertEquals(3, failing.received.size());
        assertEquals(10, good.received.size());
        assertEquals(0, balancer.outstanding(modelId + "-i0"));
    }

    @Test
    void aLoneInstancesErrorIsPassedOnAsItsOwn() throws Exception {
        FakeLlamaServer failing = backend("failing", 1, Duration.ZERO);
        failing.forcedStatus = 500;
        String model = runningModel(unique("lone500"), failing.endpoint());

        post(CHAT, chat(model, false)).then().statusCode(500).body("error.message", equalTo("failing is failing"));
        assertEquals(1, failing.received.size());
    }

    @Test
    void aBackendThatHangsIs504InOpenAiShape() throws Exception {
        FakeLlamaServer hanging = backend("hanging", 1, Duration.ZERO);
        String modelId = unique("hang");
        String model = runningModel(modelId, hanging.endpoint());

        post(CHAT, "{\"model\":\"" + model + "\",\"hang_ms\":60000,\"messages\":[]}").then().statusCode(504)
                .contentType(startsWith("application/json"))
                .body("error.code", equalTo("backend_timeout"))
                .body("error.message", containsString(model));
        assertEquals(1, hanging.received.size());
        assertEquals(1, balancer.health(modelId + "-i0").consecutiveFailures());
        await().atMost(Duration.ofSeconds(5)).until(() -> balancer.outstanding(modelId + "-i0") == 0);
    }

    @Test
    void aSharedLongPromptPrefixKeepsGoingToTheSameInstance() throws Exception {
        FakeLlamaServer a = backend("a", 1, Duration.ZERO);
        FakeLlamaServer b = backend("b", 1, Duration.ZERO);
        String model = runningModel(unique("affinity"), a.endpoint(), b.endpoint());
        String system = "You are a careful assistant. ".repeat(60);

        for (int i = 0; i < 6; i++) {
            post(CHAT, "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\""
                    + system + "\"},{\"role\":\"user\",\"content\":\"question " + i + "\"}]}")
                    .then().statusCode(200);
        }
        assertTrue(a.received.size() == 6 || b.received.size() == 6,
                "a got " + a.received.size() + ", b got " + b.received.size());
    }

    @Test
    void anOversizedBodyIs413InOpenAiShapeAndNothingIsForwarded() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("big"), backend.endpoint());
        byte[] body = ("{\"model\":\"" + model + "\",\"prompt\":\"" + "x".repeat(11 * 1024 * 1024) + "\"}")
                .getBytes(StandardCharsets.UTF_8);

        HttpResponse<byte[]> answer = send("/v1/completions", "application/json", body);

        assertEquals(413, answer.statusCode());
        var error = JSON.readTree(answer.body()).path("error");
        assertEquals("request_too_large", error.path("code").asText(), error.toString());
        assertEquals("invalid_request_error", error.path("type").asText());
        assertTrue(backend.received.isEmpty());
    }

    @Test
    void tooManyHeadersIs431InOpenAiShape() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("headers"), backend.endpoint());
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                .header("Authorization", "Bearer " + ADMIN_API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(chat(model, false)));
        for (int i = 0; i < 120; i++) {
            request.header("x-extra-" + i, "v");
        }

        HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(431, answer.statusCode());
        assertEquals("too_many_headers", JSON.readTree(answer.body()).path("error").path("code").asText());
        assertTrue(backend.received.isEmpty());
    }

    @Test
    void metricsCountRequestsByModelAndStatusWithLatencyFirstTokenOverheadAndTokens() throws Exception {
        FakeLlamaServer backend = backend("alpha", 4, Duration.ZERO);
        String model = runningModel(unique("metrics"), backend.endpoint());

        post(CHAT, chat(model, false)).then().statusCode(200);
        post(CHAT, chat(model, false)).then().statusCode(200);
        post(CHAT, chat(model, true)).then().statusCode(200);
        post(CHAT, "{\"model\":\"" + model + "\",\"max_tokens\":-1,\"messages\":[]}").then().statusCode(400);

        String metrics = given().port(TestManagement.port()).auth().oauth2(TestClusterToken.METRICS_TOKEN)
                .get("/q/metrics").then().statusCode(200).extract().asString();
        String tags = "endpoint=\"/v1/chat/completions\",model=\"" + model + "\"";
        // each outcome under its own tags: two plain answers, one stream, one error the backend answered itself
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_requests_seconds_count{")
                && line.contains(tags) && line.contains("status=\"200\"") && line.contains("stream=\"false\"")
                && line.contains("outcome=\"complete\"") && line.endsWith(" 2.0")), metrics);
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_requests_seconds_count{")
                && line.contains(tags) && line.contains("status=\"200\"") && line.contains("stream=\"true\"")
                && line.endsWith(" 1.0")), metrics);
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_requests_seconds_count{")
                && line.contains(tags) && line.contains("status=\"400\"") && line.contains("outcome=\"complete\"")
                && line.endsWith(" 1.0")), metrics);
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith(
                "gpufleet_gateway_time_to_first_token_seconds_count{") && line.contains(tags)
                && line.contains("stream=\"false\"") && line.endsWith(" 3.0")), metrics);
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_requests_seconds_bucket{")
                && line.contains(tags) && line.contains("stream=\"true\"")), "no latency histogram");
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith(
                "gpufleet_gateway_time_to_first_token_seconds_bucket{")
                && line.contains(tags)), "no time-to-first-token histogram");
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_overhead_seconds_bucket{")),
                "no overhead histogram");
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_tokens_total{")
                && line.contains("model=\"" + model + "\"") && line.contains("type=\"completion\"")
                && line.contains("estimated=\"false\"") && line.endsWith(" 8.0")), metrics); // the plain answers'
        // this fake's stream carries no usage: the gateway's estimate is counted apart, never mixed with counts
        assertTrue(metrics.lines().anyMatch(line -> line.startsWith("gpufleet_gateway_tokens_total{")
                && line.contains("model=\"" + model + "\"") && line.contains("type=\"prompt\"")
                && line.contains("estimated=\"true\"") && !line.endsWith(" 0.0")), metrics);
    }

    @Test
    void noTokenOrInstanceKeyEverAppearsInALogLine() throws Exception {
        try (LogLines lines = LogLines.capture()) {
            FakeLlamaServer failing = backend("failing", 1, Duration.ZERO);
            failing.forcedStatus = 502;
            FakeLlamaServer breaking = backend("breaking", 5, Duration.ZERO);
            String modelId = unique("secrets");
            String model = runningModel(modelId, failing.endpoint(), breaking.endpoint(),
                    "127.0.0.1:" + freePortNobodyListensOn());
            for (int i = 0; i < 4; i++) {
                post(CHAT, "{\"model\":\"" + model + "\",\"stream\":true,\"break_after\":1,\"messages\":[]}");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> lines.stream().anyMatch(l -> l.contains(modelId)));
            List<String> secrets = List.of(ADMIN_API_KEY, TestClusterToken.TOKEN, TestClusterToken.BACKEND_KEY_SECRET,
                    InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, modelId + "-i0"),
                    InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, modelId + "-i1"),
                    InstanceApiKeys.forInstance(TestClusterToken.BACKEND_KEY_SECRET, modelId + "-i2"));
            lines.stream().forEach(line -> secrets.forEach(secret ->
                    assertFalse(line.contains(secret), "a secret in a log line: " + line)));
        }
    }

    /**
     * Clients that hang up while their (not yet cached) key is being looked up, before, while or after sending
     * the body: nothing is answered, nothing is logged as an error, and the next request is served as usual. A client
     * going away is not the gateway's fault: it once left "Request has already been read" on the event loop.
     */
    @Test
    void clientsThatHangUpEarlyLeaveNoErrorBehind() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("hangup"), backend.endpoint());
        byte[] body = chat(model, false).getBytes(StandardCharsets.UTF_8);
        try (LogLines lines = LogLines.capture()) {
            for (int i = 0; i < 18; i++) {
                // a new key each time: not cached, so the gateway pauses the request while it reads the key's row;
                // then the admin's key, cached and decided at once, so the body is being read when the client goes
                String key = i < 12 ? newApiKey() : ADMIN_API_KEY;
                int sent = List.of(0, body.length / 2, body.length).get(i % 3);
                try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
                    socket.setSoLinger(true, 0); // a reset, as a client that gives up does
                    OutputStream out = socket.getOutputStream();
                    out.write(chatHead(key, body.length));
                    out.write(body, 0, sent);
                    out.flush();
                }
            }
            String key = newApiKey();
            given().auth().oauth2(key).contentType("application/json").body(chat(model, false))
                    .post(CHAT).then().statusCode(200);
            // Vert.x itself logs a reset that reaches a connection with no request in progress (ConnectionBase):
            // not the gateway's code, and it may come after the request it closed was served
            List<String> errors = lines.stream().filter(line -> line.startsWith("ERROR")
                    && !line.startsWith("ERROR io.vertx.core.net.impl.ConnectionBase ")).toList();
            assertTrue(errors.isEmpty(), "errors logged: " + errors);
        }
    }

    /**
     * A client that hangs up while the gateway reads its key's row (held here by a lock on the keys table) is
     * counted once, as status 499, outcome client_gone, in the requests and in the refusals; nothing is forwarded.
     */
    @Test
    void aClientThatHangsUpWhileItsKeyIsLookedUpIsCounted() throws Exception {
        FakeLlamaServer backend = backend("alpha", 1, Duration.ZERO);
        String model = runningModel(unique("lookup-hangup"), backend.endpoint());
        byte[] body = chat(model, false).getBytes(StandardCharsets.UTF_8);
        String key = newApiKey(); // not used yet, so not cached: the gateway must read its row
        String refused = "gpufleet_gateway_refused_total{reason=\"client_gone\"}";
        String requests = "gpufleet_gateway_requests_seconds_count{endpoint=\"" + CHAT
                + "\",model=\"-\",outcome=\"client_gone\",status=\"499\",stream=\"false\"}";
        double refusedBefore = metric(refused);
        double requestsBefore = metric(requests);
        try (Connection lock = dataSource.getConnection()) {
            lock.setAutoCommit(false);
            lock.createStatement().execute("LOCK TABLE gateway.api_keys IN ACCESS EXCLUSIVE MODE");
            try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
                socket.setSoLinger(true, 0);
                OutputStream out = socket.getOutputStream();
                out.write(chatHead(key, body.length));
                out.write(body);
                out.flush();
                TimeUnit.MILLISECONDS.sleep(300); // the gateway has the request and waits for the row
            }
            TimeUnit.MILLISECONDS.sleep(300); // and has seen the reset
            lock.rollback();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> metric(refused) == refusedBefore + 1);
        assertEquals(requestsBefore + 1, metric(requests));
        assertEquals(0, backend.received.size(), "nothing forwarded");
        // the key itself still works
        given().auth().oauth2(key).contentType("application/json").body(chat(model, false)).post(CHAT)
                .then().statusCode(200);
    }

    /** The head of a chat request for a raw socket, from a client that may hang up before the body is all sent. */
    private byte[] chatHead(String key, int bodyLength) {
        return ("POST " + CHAT + " HTTP/1.1\r\nHost: " + gateway.getHost() + "\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bodyLength + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** A counter or count on /q/metrics by its whole name and tags as Prometheus prints them; 0 if absent. */
    private static double metric(String series) {
        String metrics = given().port(TestManagement.port()).auth().oauth2(TestClusterToken.METRICS_TOKEN)
                .get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(line -> line.startsWith(series + " "))
                .mapToDouble(line -> Double.parseDouble(line.substring(series.length() + 1))).sum();
    }

    /** A new non-admin user's new API key, made with the admin key. */
    private static String newApiKey() {
        String user = given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", unique("hangup-user"), "admin", false))
                .post("/api/v1/users").then().statusCode(201).extract().path("id");
        return given().auth().oauth2(ADMIN_API_KEY).contentType("application/json")
                .body(Map.of("name", unique("k"), "user_id", user))
                .post("/api/v1/api-keys").then().statusCode(201).extract().path("key");
    }

    /** Every log record while open, as "LEVEL logger message [thrown]". */
    private static final class LogLines extends java.util.logging.Handler implements AutoCloseable {
        private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        static LogLines capture() {
            LogLines lines = new LogLines();
            java.util.logging.Logger.getLogger("").addHandler(lines);
            return lines;
        }

        java.util.stream.Stream<String> stream() {
            return lines.stream();
        }

        @Override
        public void publish(java.util.logging.LogRecord record) {
            String message = record instanceof org.jboss.logmanager.ExtLogRecord ext
                    ? ext.getFormattedMessage() : record.getMessage();
            lines.add(record.getLevel() + " " + record.getLoggerName() + " " + message
                    + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            java.util.logging.Logger.getLogger("").removeHandler(this);
        }
    }
}
