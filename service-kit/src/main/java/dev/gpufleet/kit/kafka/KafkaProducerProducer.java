package dev.gpufleet.kit.kafka;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;

/** One plain Kafka producer per service, for the outbox relay and dead letters. */
@ApplicationScoped
public class KafkaProducerProducer {

    @Produces
    @Singleton
    @DefaultBean
    Producer<String, String> producer(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
                                      @ConfigProperty(name = "quarkus.application.name") String applicationName) {
        return KafkaClients.stringProducer(bootstrapServers, applicationName);
    }

    void close(@Disposes Producer<String, String> producer) {
        producer.close(Duration.ofSeconds(5));
    }
}
