package dev.gpufleet.scheduler.outbox;

import dev.gpufleet.kit.outbox.OutboxRelay;
import dev.gpufleet.scheduler.SchedulerConfig;
import dev.gpufleet.scheduler.leadership.Leadership;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/**
 * Runs the outbox relay for {@code scheduler.outbox} while this scheduler is the leader (LeaderWork starts and
 * stops it). The relay's own lock, on a database session of its own, also keeps a new leader's relay waiting
 * until the old leader's has stopped, so one relay publishes at a time, in outbox order.
 */
@ApplicationScoped
public class InstanceEventRelay {
    public static final String TABLE = "scheduler.outbox";
    private static final int BATCH = 100;

    private final OutboxRelay relay;

    public InstanceEventRelay(Producer<String, String> producer, SchedulerConfig config, Leadership leadership,
                              @ConfigProperty(name = "quarkus.datasource.jdbc.url") String jdbcUrl,
                              @ConfigProperty(name = "quarkus.datasource.username") String username,
                              @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.relay = new OutboxRelay(OutboxRelay.jdbc(jdbcUrl, username, password,
                "gpufleet-scheduler-relay:" + leadership.instanceId()), TABLE, producer, config.outboxPollInterval(),
                BATCH);
    }

    public void start() {
        relay.start();
    }

    public void stop() {
        relay.close();
    }

    void stop(@Observes ShutdownEvent ignored) {
        relay.close();
    }

    /** Call after a transaction that wrote outbox rows committed. */
    public void wakeUp() {
        relay.wakeUp();
    }
}
