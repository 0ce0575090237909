package dev.gpufleet.kit.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/** Kafka client settings shared by the outbox relay and the dead-letter publisher. */
public final class KafkaClients {
    private KafkaClients() {
    }

    /**
     * An idempotent producer that fails fast when the broker is away: the outbox keeps what was not acknowledged
     * and the relay tries again, so waiting minutes inside the client buys nothing.
     */
    public static Producer<String, String> stringProducer(String bootstrapServers, String clientId) {
        return stringProducer(bootstrapServers, clientId, Map.of());
    }

    /** As above, connecting with {@code security}: the settings {@link #securitySettings} picked. */
    public static Producer<String, String> stringProducer(String bootstrapServers, String clientId,
                                                          Map<String, ?> security) {
        Map<String, Object> config = new HashMap<>(securitySettings(security));
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
        return new KafkaProducer<>(config);
    }

    /**
     * The settings of {@code kafkaConfig} (a service's {@code kafka.*} configuration without the prefix, e.g. from
     * {@code KAFKA_SASL_JAAS_CONFIG}) that say how to connect: {@code security.protocol}, {@code sasl.*} and
     * {@code ssl.*}. The SmallRye channels get them from Quarkus; the plain producer must be handed them, or it
     * cannot authenticate where the channels can (SCRAM on Kubernetes, deploy/helm/gpufleet).
     */
    public static Map<String, Object> securitySettings(Map<String, ?> kafkaConfig) {
        Map<String, Object> picked = new TreeMap<>();
        kafkaConfig.forEach((key, value) -> {
            if (value != null && !value.toString().isEmpty()
                    && (key.equals("security.protocol") || key.startsWith("sasl.") || key.startsWith("ssl."))) {
                picked.put(key, value);
            }
        });
        return picked;
    }
}
