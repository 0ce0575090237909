package dev.gpufleet.kit.outbox;

import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.List;

/**
 * Appends rows to a service's outbox table in the caller's session and transaction, so an event exists exactly when
 * the change it describes committed; {@link OutboxRelay} publishes them.
 */
public final class OutboxWriter {
    private final String insertEvent;
    private final String insertTombstone;

    /** @param table the outbox table, schema-qualified ({@code registry.outbox}) */
    public OutboxWriter(String table) {
        if (!table.matches("[a-z_][a-z0-9_.]*")) {
            throw new IllegalArgumentException("bad outbox table name " + table);
        }
        this.insertEvent = "INSERT INTO " + table + " (topic, msg_key, payload) VALUES (:topic, :key, :payload)";
        this.insertTombstone = "INSERT INTO " + table + " (topic, msg_key, payload) VALUES (:topic, :key, NULL)";
    }

    /** The rows one after the other, in this order. */
    public Uni<Void> append(Mutiny.Session session, List<OutboxMessage> messages) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (OutboxMessage message : messages) {
            chain = chain.chain(() -> insert(session, message));
        }
        return chain;
    }

    private Uni<Void> insert(Mutiny.Session session, OutboxMessage message) {
        var query = message.isTombstone()
                ? session.createNativeQuery(insertTombstone)
                : session.createNativeQuery(insertEvent).setParameter("payload", message.payload());
        return query.setParameter("topic", message.topic())
                .setParameter("key", message.key())
                .executeUpdate()
                .replaceWithVoid();
    }
}
