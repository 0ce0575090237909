package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import dev.gpufleet.events.Topics;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.gateway.routing.RoutingTable;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gpufleet.localstack.testing.TestClusterToken.TOKEN;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Overload against a slow stand-in backend (a real HTTP server that counts the requests it serves at once): an
 * instance started with {@code -np N} never has more than N requests in flight from the gateway, a bounded line
 * waits, and the rest is refused at once with 503 and Retry-After in OpenAI's shape, counted per model. The test
 * profile lets one request wait per slot, for at most 2.5 s.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class AdmissionApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL gateway;

    @Inject
    RoutingTable table;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newCachedThreadPool()).build();
    private final List<SlowBackend> backends = new ArrayList<>();

    @AfterEach
    void stopBackends() {
        backends.forEach(SlowBackend::close);
    }

    /**
     * Answers each chat over {@code delay}: the head at once, then a space every 200 ms (so that neither the
     * gateway's first-byte nor its idle timeout ends it), then the JSON. Counts how many it serves at once.
     */
    static final class SlowBackend implements AutoCloseable {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final AtomicInteger served = new AtomicInteger();
        private final HttpServer server;
        private final Duration delay;

        SlowBackend(Duration delay) throws IOException {
            this.delay = delay;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            server.setExecutor(Executors.newCachedThreadPool());
            server.createContext("/", this::answer);
            server.start();
        }

        String endpoint() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        private void answer(HttpExchange exchange) throws IOException {
            exchange.getRequestBody().readAllBytes();
            mostAtOnce.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                byte[] body = ("{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                        + "{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}")
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0);
                long until = System.nanoTime() + delay.toNanos();
                try (OutputStream out = exchange.getResponseBody()) {
                    while (System.nanoTime() < until) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(Math.min(200, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
                    }
                    out.write(body);
                }
                served.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A model with one RUNNING llama-box instance started with {@code -np slots}; returns the model's name. */
    private String model(SlowBackend backend, int slots) throws Exception {
        String modelId = "m-" + UUID.randomUUID().toString().substring(0, 8);
        String name = "org/overload-" + modelId;
        LaunchPlan plan = new LaunchPlan("llama-box", null, null, List.of("-np", String.valueOf(slots)), Map.of(),
                List.of());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            var model = Events.modelChanged(modelId, name, 1, 0);
            producer.send(new ProducerRecord<>(Topics.MODELS, model.key(), EventCodec.encode(model))).get();
            var instance = Events.envelope(new InstanceChanged(modelId + "-i0", modelId + "-i0", modelId, name,
                    "w-1", "node", List.of(0), List.of(), null, InstanceState.RUNNING, null, backend.endpoint(), 0,
                    plan), 1, 1);
            producer.send(new ProducerRecord<>(Topics.INSTANCES, instance.key(), EventCodec.encode(instance)))
                    .get();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> table.routableInstances(name).size() == 1);
        return name;
    }

    private SlowBackend backend(Duration delay) throws IOException {
        SlowBackend backend = new SlowBackend(delay);
        backends.add(backend);
        return backend;
    }

    /** The answer and how long it took, in ms. */
    record Answer(HttpResponse<String> response, long millis) {
    }

    private CompletableFuture<Answer> chat(String model) {
        long sent = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway + "v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> new Answer(response, TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
                        - sent)));
    }

    @Test
    void moreRequestsThanSlotsAndLineAreShedAtOnceWhileTheAdmittedOnesComplete() throws Exception {
        Duration delay = Duration.ofSeconds(1);
        SlowBackend backend = backend(delay);
        String model = model(backend, 2);

        List<CompletableFuture<Answer>> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(chat(model));
        }
        List<Answer> shed = new ArrayList<>();
        List<Answer> served = new ArrayList<>();
        for (CompletableFuture<Answer> each : sent) {
            Answer answer = each.get(30, TimeUnit.SECONDS);
            (answer.response().statusCode() == 200 ? served : shed).add(answer);
        }

        assertEquals(4, served.size(), "two slots and a line of two: " + served);
        assertEquals(6, shed.size());
        for (Answer answer : shed) {
            assertEquals(503, answer.response().statusCode(), answer.response().body());
            assertTrue(answer.response().headers().firstValue("Retry-After").isPresent(), "Retry-After");
            JsonNode error = JSON.readTree(answer.response().body()).path("error");
            assertEquals("model_overloaded", error.path("code").asText(), error.toString());
            assertTrue(error.path("message").asText().contains(model), error.toString());
            assertTrue(answer.millis() < delay.toMillis(), "shed before any admitted request was served: "
                    + answer.millis() + " ms");
        }
        assertEquals(2, backend.mostAtOnce.get(), "never more in flight at the backend than its slots");
        assertEquals(4, backend.served.get());
        given().auth().oauth2(TOKEN).get("/q/metrics").then().statusCode(200)
                .body(containsString("gpufleet_gateway_shed_total{model=\"" + model
                        + "\",reason=\"queue_full\"} 6.0"));
    }

    @Test
    void aRequestThatWaitsPastTheQueueTimeoutIsShed() throws Exception {
        SlowBackend backend = backend(Duration.ofSeconds(5));
        String model = model(backend, 1);

        CompletableFuture<Answer> admitted = chat(model);
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.inFlight.get() == 1);
        Answer waited = chat(model).get(30, TimeUnit.SECONDS);

        assertEquals(503, waited.response().statusCode(), waited.response().body());
        assertTrue(waited.response().headers().firstValue("Retry-After").isPresent());
        assertEquals("model_overloaded", JSON.readTree(waited.response().body()).path("error").path("code")
                .asText());
        assertTrue(waited.millis() >= 2_400 && waited.millis() < 5_000, "waited the queue timeout (2.5 s), not "
                + "for the backend: " + waited.millis() + " ms");
        assertEquals(200, admitted.get(30, TimeUnit.SECONDS).response().statusCode());
        assertEquals(1, backend.served.get(), "the shed request never reached the backend");
    }
}
