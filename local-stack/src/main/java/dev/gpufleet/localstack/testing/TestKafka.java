package dev.gpufleet.localstack.testing;

import java.util.function.Consumer;

/** Lets a test stop and restart the broker that {@link KafkaTestResource} started, on the same port. */
public final class TestKafka {
    static final String CONTROL_PROPERTY = "gpufleet.test.kafka.control";
    static final String BOOTSTRAP_PROPERTY = "gpufleet.test.kafka.bootstrap";

    private TestKafka() {
    }

    public static void stop() {
        control().accept("stop");
    }

    public static void start() {
        control().accept("start");
    }

    public static String bootstrapServers() {
        String b = System.getProperty(BOOTSTRAP_PROPERTY);
        if (b == null) {
            throw new IllegalStateException("no test broker: add @WithTestResource(KafkaTestResource.class)");
        }
        return b;
    }

    @SuppressWarnings("unchecked")
    private static Consumer<String> control() {
        Object c = System.getProperties().get(CONTROL_PROPERTY);
        if (c == null) {
            throw new IllegalStateException("no test broker: add @WithTestResource(KafkaTestResource.class)");
        }
        return (Consumer<String>) c;
    }
}
