package dev.gpufleet.kit.outbox;

import dev.gpufleet.kit.tracing.TraceParent;
import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.List;

/**
 * Appends rows to a service's outbox table in the caller's session and transaction, so an event exists exactly when
 * the change it describes committed; {@link OutboxRelay} publishes them. Each row keeps the trace of the work that
 * wrote it ({@link TraceParent}, null with tracing off), which the relay puts in the record's headers, so that
 * consumers continue that trace.
 */
public final class OutboxWriter {
    private final String insertEvent;
    private final String insertTombstone;

    /** @param table the outbox table, schema-qualified ({@code registry.outbox}) */
    public OutboxWriter(String table) {
        if (!table.matches("[a-z_][a-z0-9_.]*")) {
            throw new IllegalArgumentException("bad outbox table name " + table);
        }
        this.insertEvent = "INSERT INTO " + table + " (topic, msg_key, payload, trace_parent)"
                + " VALUES (:topic, :key, :payload, :trace)";
        this.insertTombstone = "INSERT INTO " + table + " (topic, msg_key, payload, trace_parent)"
                + " VALUES (:topic, :key, NULL, :trace)";
    }

    /** The rows one after the other, in this order, under the trace current when this is called. */
    public Uni<Void> append(Mutiny.Session session, List<OutboxMessage> messages) {
        String trace = TraceParent.current();
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (OutboxMessage message : messages) {
            chain = chain.chain(() -> insert(session, message, trace));
        }
        return chain;
    }

    private Uni<Void> insert(Mutiny.Session session, OutboxMessage message, String trace) {
        var query = message.isTombstone()
                ? session.createNativeQuery(insertTombstone)
                : session.createNativeQuery(insertEvent).setParameter("payload", message.payload());
        return query.setParameter("topic", message.topic())
                .setParameter("key", message.key())
                .setParameter("trace", trace)
                .executeUpdate()
                .replaceWithVoid();
    }
}
