package dev.gpufleet.registry.outbox;

import io.smallrye.mutiny.Uni;
import org.hibernate.reactive.mutiny.Mutiny;

import java.util.List;

/** Appends outbox rows in the caller's session and transaction, so they commit or roll back with the change. */
public final class OutboxWriter {
    public static final String TABLE = "registry.outbox";
    private static final String INSERT_EVENT =
            "INSERT INTO " + TABLE + " (topic, msg_key, payload) VALUES (:topic, :key, :payload)";
    private static final String INSERT_TOMBSTONE =
            "INSERT INTO " + TABLE + " (topic, msg_key, payload) VALUES (:topic, :key, NULL)";

    private OutboxWriter() {
    }

    public static Uni<Void> append(Mutiny.Session session, List<OutboxMessage> messages) {
        Uni<Void> chain = Uni.createFrom().voidItem();
        for (OutboxMessage message : messages) {
            chain = chain.chain(() -> insert(session, message));
        }
        return chain;
    }

    private static Uni<Void> insert(Mutiny.Session session, OutboxMessage message) {
        var query = message.isTombstone()
                ? session.createNativeQuery(INSERT_TOMBSTONE)
                : session.createNativeQuery(INSERT_EVENT).setParameter("payload", message.payload());
        return query.setParameter("topic", message.topic())
                .setParameter("key", message.key())
                .executeUpdate()
                .replaceWithVoid();
    }
}
