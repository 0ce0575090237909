package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

/**
 * An API key as the admin API shows it. {@code key} is present only in the answer that created it: it is stored
 * nowhere, so it can never be shown again.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record KeyView(String id, String name, String userId, String userName, Instant createdAt, Instant expiresAt,
                      Instant revokedAt, Instant lastUsedAt, int requestsPerMinute, long tokensPerMinute,
                      String status, @JsonInclude(JsonInclude.Include.NON_NULL) String key) {

    public static String status(Instant expiresAt, Instant revokedAt, Instant now) {
        if (revokedAt != null) {
            return "revoked";
        }
        return expiresAt != null && !now.isBefore(expiresAt) ? "expired" : "active";
    }

    @Override
    public String toString() {
        return "KeyView[id=" + id + ", name=" + name + ", user=" + userName + "]";
    }
}
