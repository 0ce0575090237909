package dev.gpufleet.kit.kafka;

import io.quarkus.arc.DefaultBean;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.Map;

/** One plain Kafka producer per service, for the outbox relay and dead letters. */
@ApplicationScoped
public class KafkaProducerProducer {

    @Produces
    @Singleton
    @DefaultBean
    Producer<String, String> producer(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                      @ConfigProperty(name = "quarkus.application.name") String applicationName,
                                    @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        return KafkaClients.stringProducer(bootstrapServers, applicationName, kafkaConfig);
    }

    void close(@Disposes Producer<String, String> producer) {
        producer.close(Duration.ofSeconds(5));
    }
}
