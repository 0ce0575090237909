package dev.gpufleet.scheduler.outbox;

import dev.gpufleet.kit.outbox.OutboxRelay;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.producer.Producer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import javax.sql.DataSource;
import java.time.Duration;

/**
 * Runs the outbox relay for {@code scheduler.outbox} while this scheduler is the leader (LeaderWork starts and
 * stops it), so one relay publishes in outbox order.
 */
@ApplicationScoped
public class InstanceEventRelay {
    public static final String TABLE = "scheduler.outbox";
    private static final int BATCH = 100;

    private final OutboxRelay relay;

    public InstanceEventRelay(DataSource dataSource, Producer<String, String> producer,
                              @ConfigProperty(name = "gpufleet.scheduler.outbox-poll-interval") Duration pollInterval) {
        this.relay = new OutboxRelay(dataSource, TABLE, producer, pollInterval, BATCH);
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
