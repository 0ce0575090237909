package dev.gpufleet.gateway.admin;

import dev.gpufleet.localstack.testing.TestClusterToken;
import com.sun.net.httpserver.HttpServer;
import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.EventPayload;
import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.Topics;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.gateway.routing.Events;
import dev.gpufleet.localstack.testing.WithTestKafkaAndPostgres;
import io.quarkus.test.junit.QuarkusTest;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gpufleet.localstack.testing.TestClusterToken.ADMIN_API_KEY;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The admin API's instance logs, relayed from a stand-in worker agent (a JDK HTTP server that answers like the
 * agent's /api/v1/logs, checking the cluster token) found through the worker's report on gpufleet.workers.
 */
@QuarkusTest
@WithTestKafkaAndPostgres
class InstanceLogsApiTest {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private KafkaProducer<String, String> producer;
    private HttpServer agent;
    private final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
        agent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        agent.createContext("/api/v1/logs/", exchange -> {
            asked.add(exchange.getRequestURI().toString());
            boolean authorized = ("Bearer " + TestClusterToken.TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"));
            String query = exchange.getRequestURI().getQuery();
            if (!authorized) {
                exchange.sendResponseHeaders(401, -1);
            } else if (query != null && query.contains("tail=zero")) {
                byte[] body = "{\"code\":400,\"reason\":\"Bad Request\",\"message\":\"tail must be a whole number of lines from 1 to 10000, got 'zero'\"}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(400, body.length);
                exchange.getResponseBody().write(body);
            } else {
                exchange.getResponseHeaders().add("Content-Type", "text/plain;charset=UTF-8");
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int i = 1; i <= 3; i++) {
                        out.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.close();
        });
        agent.start();
    }

    @AfterEach
    void stop() {
        agent.stop(0);
        producer.close();
    }

    private void publish(String topic, Envelope<EventPayload> event) throws Exception {
        producer.send(new ProducerRecord<>(topic, event.key(), EventCodec.encode(event))).get();
    }

    private static InstanceChanged instance(String id, String workerId) {
        return new InstanceChanged(id, id + "-name", "m-1", "demo", workerId, workerId == null ? null : "gpu-a",
                List.of(0), List.of(), null, workerId == null ? InstanceState.PENDING : InstanceState.RUNNING, null,
                null, 0, null);
    }

    private void reportWorker(String workerId, int agentPort) throws Exception {
        publish(Topics.WORKERS, Events.envelope(new WorkerReported(workerId, "gpu-a", "127.0.0.1", agentPort, "linux",
                "amd64", Map.of(), 8, 1.0, 1L << 34, 1L << 33, List.of(), WorkerState.READY, null, List.of(), 5), 1, 0));
    }

    @Test
    void theLogIsRelayedFromTheWorkersAgentWithTheClusterToken() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String id = "i-" + suffix;
        reportWorker("w-" + suffix, agent.getAddress().getPort());
        publish(Topics.INSTANCES, Events.envelope(instance(id, "w-" + suffix), 1, 0));

        String body = await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(ADMIN_API_KEY)
                .queryParam("tail", 5).queryParam("follow", true).get("/api/v1/instances/{id}/logs", id)
                .then().extract(), r -> r.statusCode() == 200).asString();

        assertEquals("line 1\nline 2\nline 3\n", body);
        assertEquals("/api/v1/logs/" + id + "?tail=5&follow=true", asked.get(asked.size() - 1));
        given().auth().oauth2(ADMIN_API_KEY).queryParam("tail", "zero").get("/api/v1/instances/{id}/logs", id).then()
                .statusCode(400).body("message", equalTo("tail must be a whole number of lines from 1 to 10000, got "
                        + "'zero'"));
        given().get("/api/v1/instances/{id}/logs", id).then().statusCode(401);
    }

    @Test
    void instancesWithoutAReachableAgentAreExplained() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        publish(Topics.INSTANCES, Events.envelope(instance("pending-" + suffix, null), 1, 0));
        publish(Topics.INSTANCES, Events.envelope(instance("silent-" + suffix, "w-silent-" + suffix), 1, 0));
        reportWorker("w-gone-" + suffix, 1);
        publish(Topics.INSTANCES, Events.envelope(instance("gone-" + suffix, "w-gone-" + suffix), 1, 0));

        await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(ADMIN_API_KEY)
                .get("/api/v1/instances/gone-" + suffix + "/logs").statusCode() == 502);
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/instances/pending-" + suffix + "/logs").then().statusCode(409)
                .body("message", equalTo("Instance pending-" + suffix + "-name is PENDING and placed on no worker, so "
                        + "it has no backend log."));
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/instances/silent-" + suffix + "/logs").then().statusCode(503)
                .body("message", equalTo("Worker gpu-a of instance silent-" + suffix + "-name has not reported where "
                        + "its agent listens; try again after its next heartbeat."));
        given().auth().oauth2(ADMIN_API_KEY).get("/api/v1/instances/nope-" + suffix + "/logs").then().statusCode(404)
                .body("code", equalTo(404))
                .body("message", equalTo("No instance 'nope-" + suffix + "': give the id of an existing instance."));
    }
}
