package dev.gpufleet.gateway.audit;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/** One recorded admin action, as {@code GET /api/v1/audit-events} shows it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuditEvent(long id, Instant at, String keyId, String userId, String userName, boolean admin,
                         String action, String kind, String entityId, String method, String path, int status) {
}
