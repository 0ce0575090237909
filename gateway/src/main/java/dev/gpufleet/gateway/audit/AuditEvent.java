package dev.gpufleet.gateway.audit;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * One recorded admin action, or one refused call on the admin API, as {@code GET /api/v1/audit-events} shows it.
 *
 * @param reason        why a call was refused (action {@code refused}); null for a change that was made
 * @param clientAddress the client's address of a refused call; null for a change that was made
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuditEvent(long id, Instant at, String keyId, String userId, String userName, boolean admin,
                         String action, String kind, String entityId, String method, String path, int status,
                         String reason, String clientAddress) {
    /** The action of a refused call. */
    public static final String REFUSED = "refused";

    /** A change that was made. */
    public AuditEvent(long id, Instant at, String keyId, String userId, String userName, boolean admin,
                      String action, String kind, String entityId, String method, String path, int status) {
        this(id, at, keyId, userId, userName, admin, action, kind, entityId, method, path, status, null, null);
    }
}
