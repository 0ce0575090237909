package dev.gpufleet.localstack.testing;

import dev.gpufleet.localstack.EmbeddedPostgresServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;
import java.util.UUID;

/**
 * Starts a real, throwaway PostgreSQL and points the app's datasource (reactive for the app, JDBC for Flyway)
 * at a fresh database in it. A test asks for it with {@link WithTestKafkaAndPostgres}.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {
    public static final String DATABASE = "gpufleet";
    public static final String USER = "gpufleet";

    private EmbeddedPostgresServer postgres;

    @Override
    public Map<String, String> start() {
        long t0 = System.nanoTime();
        postgres = EmbeddedPostgresServer.start(null, 0);
        String password = UUID.randomUUID().toString();
        postgres.ensureDatabase(DATABASE, USER, password);
        System.out.printf("### test PostgreSQL on port %d ready in %d ms%n", postgres.port(),
                (System.nanoTime() - t0) / 1_000_000);
        return Map.of(
                "quarkus.datasource.reactive.url", postgres.reactiveUrl(DATABASE),
                "quarkus.datasource.jdbc.url", postgres.jdbcUrl(DATABASE),
                "quarkus.datasource.username", USER,
                "quarkus.datasource.password", password);
    }

    @Override
    public void stop() {
        if (postgres != null) {
            postgres.close();
        }
    }
}
