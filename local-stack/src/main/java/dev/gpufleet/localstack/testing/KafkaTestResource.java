package dev.gpufleet.localstack.testing;

import dev.gpufleet.localstack.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;
import java.util.function.Consumer;

/**
 * Starts a real Kafka broker (KRaft) in the test JVM with every gpufleet topic created, and points the Quarkus
 * app at it. Use with {@code @WithTestResource(value = KafkaTestResource.class, scope = GLOBAL, parallel = true)}.
 * Tests take the broker away and bring it back through {@link TestKafka}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {
    private EmbeddedKafka kafka;

    @Override
    public Map<String, String> start() {
        long t0 = System.nanoTime();
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
        // a JDK type, so the handle works whichever class loader the test class was loaded by
        Consumer<String> control = command -> {
            switch (command) {
                case "stop" -> kafka.stop();
                case "start" -> kafka.start();
                default -> throw new IllegalArgumentException("unknown command " + command);
            }
        };
        System.getProperties().put(TestKafka.CONTROL_PROPERTY, control);
        System.setProperty(TestKafka.BOOTSTRAP_PROPERTY, kafka.bootstrapServers());
        System.out.printf("### test Kafka on %s ready in %d ms%n", kafka.bootstrapServers(),
                (System.nanoTime() - t0) / 1_000_000);
        return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
    }

    @Override
    public void stop() {
        System.getProperties().remove(TestKafka.CONTROL_PROPERTY);
        if (kafka != null) {
            kafka.close();
        }
    }
}
