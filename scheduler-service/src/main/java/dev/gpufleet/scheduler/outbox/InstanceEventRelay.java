package dev.gpufleet.scheduler.outbox;

import dev.gpufleet.kit.outbox.OutboxRelay;
import dev.gpufleet.scheduler.SchedulerConfig;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.apache.kafka.clients.producer.Producer;

import javax.sql.DataSource;

/**
 * Runs the outbox relay for {@code scheduler.outbox} while this scheduler is the leader (LeaderWork starts and
 * stops it), so one relay publishes in outbox order.
 */
@ApplicationScoped
public class InstanceEventRelay {
    public static final String TABLE = "scheduler.outbox";
    private static final int BATCH = 100;

    private final OutboxRelay relay;

    public InstanceEventRelay(DataSource dataSource, Producer<String, String> producer, SchedulerConfig config) {
        this.relay = new OutboxRelay(dataSource, TABLE, producer, config.outboxPollInterval(), BATCH);
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
