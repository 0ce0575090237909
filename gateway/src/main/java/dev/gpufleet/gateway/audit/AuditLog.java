package dev.gpufleet.gateway.audit;

import dev.gpufleet.gateway.health.DatabaseGuard;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** Table {@code gateway.audit_events}: appended by {@link AuditRecorder}, read newest first. */
@ApplicationScoped
public class AuditLog {
    private final Pool pool;
    private final DatabaseGuard guard;

    public AuditLog(Pool pool, DatabaseGuard guard) {
        this.pool = pool;
        this.guard = guard;
    }

    public Uni<Void> append(AuditEvent e) {
        return guard.guard(pool.preparedQuery("INSERT INTO gateway.audit_events (at, key_id, user_id, user_name, "
                        + "admin, action, kind, entity_id, method, path, status, reason, client_address) "
                        + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                .execute(Tuple.from(java.util.Arrays.asList(e.at().atOffset(ZoneOffset.UTC), e.keyId(), e.userId(),
                        e.userName(), e.admin(), e.action(), e.kind(), e.entityId() == null ? "" : e.entityId(),
                        e.method(), e.path(), e.status(), e.reason(), e.clientAddress())))
                .replaceWithVoid());
    }

    public Uni<PageView<AuditEvent>> list(PageRequest page) {
        return guard.guard(pool.preparedQuery("SELECT id, at, key_id, user_id, user_name, admin, action, kind, "
                        + "entity_id, method, path, status, reason, client_address, count(*) OVER () "
                        + "FROM gateway.audit_events "
                        + "ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2")
                .execute(Tuple.of(page.perPage(), page.offset()))
                .chain(rows -> {
                    List<AuditEvent> events = new ArrayList<>();
                    long[] total = {-1};
                    rows.forEach(r -> {
                        events.add(event(r));
                        total[0] = r.getLong(14);
                    });
                    if (total[0] >= 0) {
                        return Uni.createFrom().item(PageView.of(events, page, total[0]));
                    }
                    // past the last page: count on its own
                    return pool.query("SELECT count(*) FROM gateway.audit_events").execute()
                            .map(counted -> PageView.of(events, page, counted.iterator().next().getLong(0)));
                }));
    }

    private static AuditEvent event(Row r) {
        String entityId = r.getString(8);
        return new AuditEvent(r.getLong(0), r.getOffsetDateTime(1).toInstant(), r.getString(2), r.getString(3),
                r.getString(4), r.getBoolean(5), r.getString(6), r.getString(7),
                entityId == null || entityId.isEmpty() ? null : entityId, r.getString(9), r.getString(10),
                r.getInteger(11), r.getString(12), r.getString(13));
    }
}
