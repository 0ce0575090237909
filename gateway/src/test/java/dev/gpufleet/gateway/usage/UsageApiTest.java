package dev.gpufleet.gateway.usage;

import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.admin.FakeServicesResource;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
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

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.stream.Stream;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
@WithTestKafkaAndPostgres
@WithTestResource(value = FakeServicesResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class UsageApiTest {
    static final String CHAT = "/v1/chat/completions";
    static final int CHUNKS = 4;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RoutingTable table;

    @Inject
    AgroalDataSource dataSource;

    private KafkaProducer<String, String> producer;
    private UsageBackend backend;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void connect() throws IOException {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        backend = new UsageBackend(CHUNKS);
    }

    @AfterEach
    void disconnect() {
        producer.close();
        backend.close();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A model with one RUNNING instance on the usage backend; returns its name. */
    private String runningModel() throws Exception {
        String modelId = unique("usage");
        String name = "org/" + modelId;
        var model = Events.modelChanged(modelId, name, 1, 0);
        producer.send(new ProducerRecord<>(Topics.MODELS, model.key(), EventCodec.encode(model))).get();
        var instance = Events.instanceChanged(modelId + "-i0", modelId, InstanceState.RUNNING, backend.endpoint(), 1);
        producer.send(new ProducerRecord<>(Topics.INSTANCES, instance.key(), EventCodec.encode(instance))).get();
        await().atMost(Duration.ofSeconds(30)).until(() -> table.routableInstances(name).size() == 1);
        return name;
    }

    private static String chat(String model, String extra) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]" + extra + "}";
    }

    /** A real API key of a new non-admin user, made through the admin API. */
    private record Key(String id, String secret) {
    }

    private static Key newKey() {
        String userId = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", unique("user"), "admin", false)).post("/api/v1/users")
                .then().statusCode(201).extract().path("id");
        Response created = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", unique("key"), "user_id", userId)).post("/api/v1/api-keys");
        created.then().statusCode(201);
        return new Key(created.path("id"), created.path("key"));
    }

    private HttpResponse<String> send(Key key, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.toURI().resolve(path))
                .header("Authorization", "Bearer " + key.secret())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Response usage(String query) {
        return given().auth().oauth2(TOKEN).get("/api/v1/usage" + query);
    }

    private static String today() {
        return LocalDate.now(ZoneOffset.UTC).toString();
    }

    @Test
    void plainAnswersAreCountedPerKeyModelAndDay() throws Exception {
        String model = runningModel();
        Key key = newKey();
        Key other = newKey();
        assertEquals(200, send(key, CHAT, chat(model, "")).statusCode());
        assertEquals(200, send(key, CHAT, chat(model, "")).statusCode());
        assertEquals(200, send(key, "/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":\"hi\"}").statusCode());
        assertEquals(200, send(other, CHAT, chat(model, "")).statusCode());

        usage("?key_id=" + key.id()).then().statusCode(200)
                .body("items.size()", equalTo(1))
                .body("items[0].key_id", equalTo(key.id()))
                .body("items[0].model", equalTo(model))
                .body("items[0].day", equalTo(today()))
                .body("items[0].prompt_tokens", equalTo(2 * UsageBackend.PROMPT_TOKENS + 4))
                .body("items[0].completion_tokens", equalTo(6))
                .body("items[0].total_tokens", equalTo(2 * UsageBackend.PROMPT_TOKENS + 4 + 6))
                .body("items[0].requests", equalTo(3))
                .body("pagination.total", equalTo(1));
        usage("?model=" + model).then().statusCode(200).body("items.key_id", equalTo(Stream.of(key.id(), other.id())
                .sorted().toList()));
    }

    @Test
    void aStreamAsksForUsageAndTheClientDoesNotSeeTheExtraChunk() throws Exception {
        String model = runningModel();
        Key key = newKey();

        HttpResponse<String> response = send(key, CHAT, chat(model, ",\"stream\":true"));

        assertEquals(200, response.statusCode());
        assertTrue(backend.received.get(0).path("stream_options").path("include_usage").asBoolean(),
                backend.received.get(0).toString());
        assertFalse(response.body().contains("usage"), response.body());
        for (int i = 0; i < CHUNKS; i++) {
            assertTrue(response.body().contains(UsageBackend.token(i)), response.body());
        }
        assertTrue(response.body().endsWith("}\n\ndata: [DONE]\n\n"), response.body());
        assertEquals(CHUNKS + 1, response.body().split("\n\n").length, response.body());
        usage("?key_id=" + key.id()).then().statusCode(200)
                .body("items[0].prompt_tokens", equalTo(UsageBackend.PROMPT_TOKENS))
                .body("items[0].completion_tokens", equalTo(CHUNKS))
                .body("items[0].requests", equalTo(1));
    }

    @Test
    void aClientThatAskedForUsageGetsTheChunk() throws Exception {
        String model = runningModel();
        Key key = newKey();

        HttpResponse<String> response = send(key, CHAT,
                chat(model, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));

        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"choices\":[],\"usage\":{\"prompt_tokens\":7"), response.body());
        usage("?key_id=" + key.id()).then().statusCode(200)
                .body("items[0].completion_tokens", equalTo(CHUNKS)).body("items[0].requests", equalTo(1));
    }

    @Test
    void aStreamThatDiesMidwayIsStillCounted() throws Exception {
        String model = runningModel();
        Key key = newKey();

        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(gateway.toURI().resolve(CHAT))
                        .header("Authorization", "Bearer " + key.secret())
                        .POST(HttpRequest.BodyPublishers.ofString(chat(model, ",\"stream\":true,\"break_after\":2")))
                        .build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        try (InputStream in = response.body()) {
            in.readAllBytes();
        } catch (IOException expected) {
            // the gateway breaks the client's stream off too
        }

        // "user" + "Say hi": 10 characters, about 3 tokens; 2 chunks came before the break
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> usage("?key_id=" + key.id()).then().statusCode(200)
                .body("items[0].prompt_tokens", equalTo(3))
                .body("items[0].completion_tokens", equalTo(2))
                .body("items[0].requests", equalTo(1)));
    }

    @Test
    void aRealKeysUsageIsMeteredUnderItsIdAndChargedToItsTokenBudget() throws Exception {
        String model = runningModel();
        String userId = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", unique("user"), "admin", false)).post("/api/v1/users")
                .then().statusCode(201).extract().path("id");
        Response created = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", unique("key"), "user_id", userId, "tokens_per_minute", 5))
                .post("/api/v1/api-keys");
        created.then().statusCode(201);
        String keyId = created.path("id");
        String key = created.path("key");

        given().auth().oauth2(key).contentType("application/json").body(chat(model, "")).post(CHAT)
                .then().statusCode(200);
        // the answer used 7 + 3 tokens, more than the 5 a minute the key may use
        given().auth().oauth2(key).contentType("application/json").body(chat(model, "")).post(CHAT)
                .then().statusCode(429).body("error.code", equalTo("rate_limit_exceeded"));

        usage("?key_id=" + keyId).then().statusCode(200)
                .body("items[0].prompt_tokens", equalTo(UsageBackend.PROMPT_TOKENS))
                .body("items[0].completion_tokens", equalTo(3))
                .body("items[0].requests", equalTo(1));
        // the key's owner sees its keys' usage, and no one else's (the table holds every other test's rows too);
        // through another key of its own, as this one is over its token budget
        String second = given().auth().oauth2(TOKEN).contentType("application/json")
                .body(Map.of("name", unique("key"), "user_id", userId)).post("/api/v1/api-keys")
                .then().statusCode(201).extract().path("key");
        given().auth().oauth2(second).get("/api/v1/usage").then().statusCode(200)
                .body("pagination.total", equalTo(1)).body("items[0].key_id", equalTo(keyId))
                .body("items[0].requests", equalTo(1));
        given().auth().oauth2(second).get("/api/v1/usage?key_id=cluster").then().statusCode(200)
                .body("pagination.total", equalTo(0));
    }

    @Test
    void usageIsFilteredByDaysAndPaged() throws Exception {
        String key = unique("k");
        UsageStore store = new UsageStore(dataSource);
        LocalDate day = LocalDate.of(2026, 3, 1);
        Map<UsageKey, UsageCounts> rows = new java.util.HashMap<>();
        for (int i = 0; i < 5; i++) {
            rows.put(new UsageKey(key, "m-a", day.plusDays(i)), new UsageCounts(i, 1, 1));
        }
        rows.put(new UsageKey(key, "m-b", day), new UsageCounts(100, 0, 2));
        store.add(java.util.UUID.randomUUID(), rows);
        store.add(java.util.UUID.randomUUID(), Map.of(new UsageKey(key, "m-b", day), new UsageCounts(1, 1, 1)));

        usage("?key_id=" + key + "&model=m-b").then().statusCode(200)
                .body("items[0].prompt_tokens", equalTo(101)).body("items[0].requests", equalTo(3));
        usage("?key_id=" + key + "&from=2026-03-02&to=2026-03-04").then().statusCode(200)
                .body("items.day", equalTo(List.of("2026-03-02", "2026-03-03", "2026-03-04")));
        usage("?key_id=" + key + "&per_page=2&page=3").then().statusCode(200)
                .body("items.day", equalTo(List.of("2026-03-04", "2026-03-05")))
                .body("pagination.total", equalTo(6)).body("pagination.total_pages", equalTo(3));
    }

    @Test
    void badFiltersNameTheField() {
        usage("?from=yesterday").then().statusCode(400).body("code", equalTo(400))
                .body("message", containsString("'from'"));
        usage("?to=2026-13-01").then().statusCode(400).body("message", containsString("'to'"));
        usage("?from=2026-03-02&to=2026-03-01").then().statusCode(400).body("message", containsString("after"));
        usage("?per_page=9999").then().statusCode(400).body("message", containsString("'per_page'"));
    }

    @Test
    void theBatcherWritesOnItsIntervalAndEverythingOnClose() throws Exception {
        UsageStore store = new UsageStore(dataSource);
        String slowKey = unique("k");
        UsageBatcher slow = new UsageBatcher(store, Duration.ofHours(1));
        slow.add(new UsageKey(slowKey, "m", LocalDate.of(2026, 4, 1)), new UsageCounts(5, 6, 1));
        slow.add(new UsageKey(slowKey, "m", LocalDate.of(2026, 4, 1)), new UsageCounts(1, 1, 1));
        UsageStore.Query query = new UsageStore.Query(slowKey, null, null, null);
        assertEquals(0, store.count(query));

        slow.close();

        assertEquals(List.of(new UsageStore.Row(new UsageKey(slowKey, "m", LocalDate.of(2026, 4, 1)),
                new UsageCounts(6, 7, 2))), store.find(query, 0, 10));
        assertEquals(0, slow.pending());

        String fastKey = unique("k");
        try (UsageBatcher fast = new UsageBatcher(store, Duration.ofMillis(200))) {
            fast.add(new UsageKey(fastKey, "m", LocalDate.of(2026, 4, 2)), new UsageCounts(1, 2, 1));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> store.count(new UsageStore.Query(fastKey, null, null, null)) == 1);
        }
    }

    @Test
    void noTokenAppearsInALogLine() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(String.valueOf(record.getMessage()) + " " + java.util.Arrays.toString(record.getParameters())
                        + " " + (record.getThrown() == null ? "" : record.getThrown().toString()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        Key key;
        root.addHandler(capture);
        try {
            String model = runningModel();
            key = newKey();
            try {
                send(key, CHAT, chat(model, ",\"stream\":true,\"break_after\":1"));
            } catch (IOException expected) {
                // the stream breaks off, as asked: its warning is one of the lines checked
            }
            given().auth().oauth2(TOKEN).header("x-fake-drop", "1").get("/api/v1/workers").then().statusCode(502);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> lines.stream().anyMatch(l -> l.contains("did not answer")));
        } finally {
            root.removeHandler(capture);
        }
        String secret = key.secret();
        List<String> leaking = new ArrayList<>(lines.stream()
                .filter(l -> l.contains(TOKEN) || l.contains(secret)).toList());
        assertEquals(List.of(), leaking);
    }
}
