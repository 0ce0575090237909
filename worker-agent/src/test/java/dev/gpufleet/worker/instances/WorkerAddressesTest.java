package dev.gpufleet.worker.instances;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import dev.gpufleet.events.WorkerReported;
import dev.gpufleet.events.WorkerState;
import dev.gpufleet.localstack.testing.KafkaTestResource;
import dev.gpufleet.worker.TempDataDirResource;
import dev.gpufleet.worker.WorkerTopic;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * A subordinate finds the main worker's address in the recent heartbeats on gpufleet.workers: here the running
 * agent's own heartbeats (as another agent would read them) on the test broker.
 */
@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
@WithTestResource(value = TempDataDirResource.class, scope = TestResourceScope.GLOBAL, parallel = true)
class WorkerAddressesTest {
    private static final String TOKEN = "test-cluster-token-0123456789";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    private WorkerAddresses addresses() {
        return new WorkerAddresses(bootstrapServers, Map.of(), "test-addresses", Duration.ofSeconds(15),
                Duration.ofSeconds(10), Clock.systemUTC());
    }

    @Test
    void theAddressOfAWorkerThatBeatsRecentlyIsFoundAndAnUnknownWorkerHasNone() throws Exception {
        String workerId = await().atMost(Duration.ofSeconds(60)).until(() -> given().auth().oauth2(TOKEN)
                .get("/api/v1/worker").then().extract().path("worker_id"), id -> id != null);
        String reported;
        try (WorkerTopic topic = new WorkerTopic(bootstrapServers)) {
            List<Envelope<WorkerReported>> beats = await().atMost(Duration.ofSeconds(20))
                    .until(() -> topic.heartbeatsOf(workerId), received -> !received.isEmpty());
            reported = beats.get(beats.size() - 1).payload().address();
        }

        assertEquals(Optional.of(reported), addresses().apply(workerId));
        assertEquals(Optional.empty(), addresses().apply("w-never-seen"));
    }

    static Stream<Arguments> messages() {
        WorkerReported beat = new WorkerReported("w-1", "n", "10.0.0.9", 10150, "linux", "amd64", Map.of(), 8, 1.0,
                1L << 34, 1L << 33, List.of(), WorkerState.READY, null, List.of(), 5);
        WorkerReported noAddress = new WorkerReported("w-1", "n", " ", 10150, "linux", "amd64", Map.of(), 8, 1.0,
                1L << 34, 1L << 33, List.of(), WorkerState.READY, null, List.of(), 5);
        return Stream.of(
                arguments("a heartbeat", EventCodec.encode(Envelope.of(beat, 1, Clock.systemUTC())),
                        Optional.of("10.0.0.9")),
                arguments("a blank address", EventCodec.encode(Envelope.of(noAddress, 2, Clock.systemUTC())),
                        Optional.empty()),
                arguments("a tombstone", null, Optional.empty()),
                arguments("not an event", "{\"garbage\": true", Optional.empty()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void readsTheAddressOfAHeartbeatAndNothingElse(String description, String json, Optional<String> expected) {
        assertEquals(expected, WorkerAddresses.addressIn(json), description);
    }
}
