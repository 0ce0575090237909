package dev.gpufleet.scheduler.outbox;

import dev.gpufleet.events.Envelope;
import dev.gpufleet.events.EventCodec;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes events into {@code scheduler.outbox} inside the caller's transaction, so an event exists exactly when
 * the change it describes committed. {@link InstanceEventRelay} publishes them.
 */
@ApplicationScoped
public class Outbox {
    private static final String INSERT = "INSERT INTO scheduler.outbox (topic, msg_key, payload) VALUES (?1, ?2, ?3)";
    private static final String INSERT_TOMBSTONE =
            "INSERT INTO scheduler.outbox (topic, msg_key, payload) VALUES (?1, ?2, NULL)";

    public Uni<Void> add(String topic, Envelope<?> event) {
        return Panache.getSession().chain(session -> session.createNativeQuery(INSERT)
                .setParameter(1, topic)
                .setParameter(2, event.key())
                .setParameter(3, EventCodec.encode(event))
                .executeUpdate()).replaceWithVoid();
    }

    /** A null-valued record after a ...Deleted event, so compaction forgets the key. */
    public Uni<Void> tombstone(String topic, String key) {
        return Panache.getSession().chain(session -> session.createNativeQuery(INSERT_TOMBSTONE)
                .setParameter(1, topic)
                .setParameter(2, key)
                .executeUpdate()).replaceWithVoid();
    }
}
