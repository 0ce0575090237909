package dev.gpufleet.kit.kafka;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The plain producer connects like the channels: it takes the connection's security settings and nothing else. */
class KafkaClientsTest {

    static Stream<Arguments> cases() {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";";
        return Stream.of(
                Arguments.of("nothing configured", Map.of(), Map.of()),
                Arguments.of("SCRAM, as on Kubernetes",
                        Map.of("bootstrap.servers", "k:9092", "security.protocol", "SASL_PLAINTEXT",
                                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas,
                                "default.api.timeout.ms", "5000"),
                        Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-512",
                                "sasl.jaas.config", jaas)),
                Arguments.of("TLS trust store",
                        Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                                "ssl.truststore.location", "/ca/ca.crt"),
                        Map.of("security.protocol", "SSL", "ssl.truststore.type", "PEM",
                                "ssl.truststore.location", "/ca/ca.crt")),
                Arguments.of("an empty value is not a setting",
                        mapWithNull("sasl.jaas.config", "", "sasl.mechanism", null),
                        Map.of()),
                Arguments.of("consumer and client settings stay out",
                        Map.of("group.id", "g", "health.enabled", "true", "saslish", "x"),
                        Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void picksTheSecuritySettings(String name, Map<String, ?> config, Map<String, Object> expected) {
        assertEquals(expected, KafkaClients.securitySettings(config));
    }

    private static Map<String, Object> mapWithNull(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> map = new HashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        return map;
    }
}
