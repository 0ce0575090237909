package dev.gpufleet.localstack.testing;

import dev.gpufleet.localstack.EmbeddedKafka;
import dev.gpufleet.localstack.EmbeddedPostgresServer;
import dev.gpufleet.localstack.FreePorts;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A broker that takes only SCRAM-SHA-512 over TLS on the listener the app is given, and a PostgreSQL that serves
 * TLS, both with a certificate from a throwaway authority; the app connects as the Helm chart's production values
 * configure the services: SASL_SSL with the authority's PEM as trust store, and the datasources with
 * {@code verify-full}. A test asks for it with {@link WithSecureTransport}.
 */
public class SecureTransportTestResource implements QuarkusTestResourceLifecycleManager {
    public static final String DATABASE = "gpufleet";
    public static final String USER = "gpufleet";
    public static final String KAFKA_USER = "gpufleet-service";

    private static volatile Infrastructure current;

    /** What the running test's app was pointed at, for the test to connect the same way. */
    public record Infrastructure(EmbeddedKafka kafka, String kafkaPassword, EmbeddedPostgresServer postgres,
                                 String databasePassword, TestCertificates certificates) {
        /** Client settings for the SCRAM-over-TLS listener, as a plain Kafka client takes them. */
        public Map<String, Object> kafkaClientConfig() {
            return Map.of("bootstrap.servers", kafka.secureBootstrapServers(),
                    "security.protocol", "SASL_SSL",
                    "sasl.mechanism", "SCRAM-SHA-512",
                    "sasl.jaas.config", EmbeddedKafka.scramJaasConfig(KAFKA_USER, kafkaPassword),
                    "ssl.truststore.type", "PEM",
                    "ssl.truststore.location", certificates.caPem().toString());
        }
    }

    public static Infrastructure infrastructure() {
        if (current == null) {
            throw new IllegalStateException("no secure transport running: annotate the test with @WithSecureTransport");
        }
        return current;
    }

    private Path dir;

    @Override
    public Map<String, String> start() {
        try {
            dir = Files.createTempDirectory("gpufleet-tls-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestCertificates certificates = TestCertificates.create(dir.resolve("certs"));
        EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("kafka"), FreePorts.pick(), FreePorts.pick(), true)
                .withScramOverTls(FreePorts.pick(), certificates.serverP12(), certificates.password())
                .start();
        kafka.createTopics(1);
        String kafkaPassword = UUID.randomUUID().toString();
        kafka.addScramUser(KAFKA_USER, kafkaPassword);
        EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(null, 0, Map.of(
                "ssl", "on",
                "ssl_cert_file", certificates.serverCertPem().toString(),
                "ssl_key_file", certificates.serverKeyPem().toString()));
        String databasePassword = UUID.randomUUID().toString();
        postgres.ensureDatabase(DATABASE, USER, databasePassword);
        current = new Infrastructure(kafka, kafkaPassword, postgres, databasePassword, certificates);

        Map<String, String> config = new HashMap<>();
        config.put("kafka.bootstrap.servers", kafka.secureBootstrapServers());
        config.put("kafka.security.protocol", "SASL_SSL");
        config.put("kafka.sasl.mechanism", "SCRAM-SHA-512");
        config.put("kafka.sasl.jaas.config", EmbeddedKafka.scramJaasConfig(KAFKA_USER, kafkaPassword));
        config.put("kafka.ssl.truststore.type", "PEM");
        config.put("kafka.ssl.truststore.location", certificates.caPem().toString());
        String ca = certificates.caPem().toString();
        config.put("quarkus.datasource.reactive.url", postgres.reactiveUrl(DATABASE));
        config.put("quarkus.datasource.reactive.postgresql.ssl-mode", "verify-full");
        config.put("quarkus.datasource.reactive.hostname-verification-algorithm", "HTTPS");
        config.put("quarkus.datasource.reactive.trust-certificate-pem", "true");
        config.put("quarkus.datasource.reactive.trust-certificate-pem.certs", ca);
        config.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl(DATABASE) + "?sslmode=verify-full&sslrootcert=" + ca);
        config.put("quarkus.datasource.username", USER);
        config.put("quarkus.datasource.password", databasePassword);
        return config;
    }

    @Override
    public void stop() {
        Infrastructure running = current;
        current = null;
        if (running != null) {
            running.kafka().close();
            running.postgres().close();
        }
        if (dir != null) {
            dev.gpufleet.localstack.Dirs.deleteRecursively(dir);
        }
    }
}
