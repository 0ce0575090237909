package dev.gpufleet.localstack.testing;

import dev.gpufleet.localstack.EmbeddedKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import javax.management.JMException;
import javax.management.StandardMBean;
import java.util.Map;

/**
 * Starts a real Kafka broker (KRaft) in the test JVM with every gpufleet topic created, and points the Quarkus
 * app at it. A test asks for it with {@link WithTestKafka} or {@link WithTestKafkaAndPostgres}.
 * Tests take the broker away and bring it back through {@link TestKafka}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {
    private EmbeddedKafka kafka;

    @Override
    public Map<String, String> start() {
        long t0 = System.nanoTime();
        kafka = EmbeddedKafka.throwaway().start();
        kafka.createTopics(1);
        registerControl();
        System.out.printf("### test Kafka on %s ready in %d ms%n", kafka.bootstrapServers(),
                (System.nanoTime() - t0) / 1_000_000);
        return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
    }

    @Override
    public void stop() {
        try {
            if (TestKafka.server().isRegistered(TestKafka.name())) {
                TestKafka.server().unregisterMBean(TestKafka.name());
            }
        } catch (JMException ignored) {
            // the JVM is going away with it
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private void registerControl() {
        EmbeddedKafka broker = kafka;
        TestKafka.ControlMBean control = new TestKafka.ControlMBean() {
            @Override
            public void stop() {
                broker.stop();
            }

            @Override
            public void start() {
                broker.start();
            }

            @Override
            public String getBootstrapServers() {
                return broker.bootstrapServers();
            }
        };
        try {
            if (TestKafka.server().isRegistered(TestKafka.name())) {
                TestKafka.server().unregisterMBean(TestKafka.name());
            }
            TestKafka.server().registerMBean(new StandardMBean(control, TestKafka.ControlMBean.class), TestKafka.name());
        } catch (JMException e) {
            throw new IllegalStateException("cannot register the test broker's control", e);
        }
    }
}
