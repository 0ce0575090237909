package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

import java.time.Instant;

@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UserView(String id, String name, boolean admin, Instant createdAt, boolean disabled,
                       UserLimits limits) {
    public UserView withDisabled(boolean now) {
        return new UserView(id, name, admin, createdAt, now, limits);
    }

    public UserView withLimits(UserLimits now) {
        return new UserView(id, name, admin, createdAt, disabled, now);
    }
}
