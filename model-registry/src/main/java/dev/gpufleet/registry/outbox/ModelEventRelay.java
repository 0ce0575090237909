package dev.gpufleet.registry.outbox;

import dev.gpufleet.kit.outbox.OutboxRelay;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;

/**
 * Runs the relay that publishes {@code registry.outbox} to Kafka for as long as the service runs, and exposes the
 * number of unpublished rows as the {@code gpufleet.outbox.backlog} gauge (it grows while Kafka is away). Every
 * replica runs one; the relay's lock lets one publish at a time, on a database session of its own.
 */
@Startup
@ApplicationScoped
public class ModelEventRelay {
    public static final String TABLE = "registry.outbox";
    private static final Logger LOG = Logger.getLogger(ModelEventRelay.class);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final int BATCH_SIZE = 100;

    private final OutboxRelay relay;
    private final AgroalDataSource dataSource;

    public ModelEventRelay(AgroalDataSource dataSource, Producer<String, String> producer, MeterRegistry meters,
                           @ConfigProperty(name = "quarkus.datasource.jdbc.url") String jdbcUrl,
                           @ConfigProperty(name = "quarkus.datasource.username") String username,
                           @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.dataSource = dataSource;
        this.relay = new OutboxRelay(OutboxRelay.jdbc(jdbcUrl, username, password, "gpufleet-registry-relay"), TABLE,
                producer, POLL_INTERVAL, BATCH_SIZE);
        Gauge.builder("gpufleet.outbox.backlog", this, ModelEventRelay::backlogOrNaN)
                .description("Outbox rows not yet acknowledged by Kafka")
                .tag("outbox", TABLE)
                .register(meters);
    }

    @PostConstruct
    void start() {
        relay.start();
    }

    @PreDestroy
    void stop() {
        relay.close();
    }

    /** Publish now rather than at the next poll; call after a transaction with outbox rows committed. */
    public void wakeUp() {
        relay.wakeUp();
    }

    private double backlogOrNaN() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + TABLE + " WHERE sent_at IS NULL");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            LOG.debugf("Cannot count the outbox backlog: %s", e.getMessage());
            return Double.NaN;
        }
    }
}
