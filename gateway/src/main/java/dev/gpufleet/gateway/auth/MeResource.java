package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

/**
 * {@code GET /api/v1/me}: who the caller's key belongs to and what it may do, for any authenticated caller. Clients
 * (the web console, the command line) ask it to learn whether the key is an admin's before offering admin pages.
 */
@Path("/api/v1/me")
@Produces(MediaType.APPLICATION_JSON)
public class MeResource {

    /**
     * @param keyId {@code cluster} (and {@code user_id}, {@code user_name} too) for the cluster token
     * @param requestsPerMinute the key's limits, 0 = unlimited
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Me(String userId, String userName, boolean admin, String keyId, int requestsPerMinute,
                     long tokensPerMinute) {
        static Me of(Caller caller) {
            return new Me(caller.userId(), caller.userName(), caller.admin(), caller.keyId(),
                    caller.requestsPerMinute(), caller.tokensPerMinute());
        }
    }

    @GET
    public Me get(@Context RoutingContext ctx) {
        return Me.of(Caller.of(ctx));
    }
}
