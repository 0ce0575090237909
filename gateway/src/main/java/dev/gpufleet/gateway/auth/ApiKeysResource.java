package dev.gpufleet.gateway.auth;

import dev.gpufleet.gateway.audit.AuditRecorder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.kit.http.ApiException;
import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Instant;

/**
 * {@code /api/v1/api-keys}: every user manages its own keys; an admin (or the cluster token) any user's. Someone
 * else's key answers 404, as if it did not exist. A new key is in the creation answer only.
 */
@Path("/api/v1/api-keys")
@Produces(MediaType.APPLICATION_JSON)
public class ApiKeysResource {
    static final int MAX_REQUESTS_PER_MINUTE = 1_000_000;
    static final long MAX_TOKENS_PER_MINUTE = 1_000_000_000_000L;
    private static final Logger LOG = Logger.getLogger(ApiKeysResource.class);

    /** Limits: 0 or absent = unlimited. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CreateKey(String name, String userId, Instant expiresAt, Integer requestsPerMinute,
                            Long tokensPerMinute) {
    }

    /** Absent or null {@code expires_at}: now. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Expire(Instant expiresAt) {
    }

    private final AuthStore store;
    private final Authenticator authenticator;
    private final Clock clock;

    public ApiKeysResource(AuthStore store, Authenticator authenticator, Clock clock) {
        this.store = store;
        this.authenticator = authenticator;
        this.clock = clock;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateKey request, @Context RoutingContext ctx) {
        if (request == null) {
            throw ApiException.badRequest("body: must be a JSON object {\"name\", \"user_id\", \"expires_at\", "
                    + "\"requests_per_minute\", \"tokens_per_minute\"}");
        }
        Caller caller = Caller.of(ctx);
        String name = Params.name("name", request.name());
        String userId = Params.userId("user_id", request.userId());
        if (userId == null) {
            userId = caller.userId();
        } else if (!caller.admin() && !userId.equals(caller.userId())) {
            throw new ApiException(Response.Status.FORBIDDEN, "user_id: only an admin may create keys for "
                    + "another user; leave it out for a key of your own");
        }
        if (request.expiresAt() != null && !request.expiresAt().isAfter(clock.instant())) {
            throw ApiException.badRequest("expires_at: must be in the future (an ISO-8601 instant such as "
                    + "2030-01-01T00:00:00Z), was " + request.expiresAt());
        }
        int requests = limit("requests_per_minute", request.requestsPerMinute(), MAX_REQUESTS_PER_MINUTE);
        long tokens = limit("tokens_per_minute", request.tokensPerMinute(), MAX_TOKENS_PER_MINUTE);
        String owner = userId;
        return store.findUser(owner).chain(user -> {
            if (user.isEmpty()) {
                throw ApiException.notFound("user_id: no user with id '" + owner + "'");
            }
            if (user.get().disabled()) {
                throw ApiException.conflict("user_id: user '" + user.get().name() + "' is disabled");
            }
            UserLimits.KeyTerms terms = user.get().limits().keyWithin(
                    new UserLimits.KeyTerms(requests, tokens, request.expiresAt()), user.get().name(),
                    clock.instant());
            return store.createKey(user.get(), name, terms.expiresAt(), terms.requestsPerMinute(),
                    terms.tokensPerMinute());
        }).map(key -> {
            LOG.infof("Created API key %s (%s) for user %s", key.id(), key.name(), key.userName());
            AuditRecorder.noteCreatedId(ctx, key.id());
            return Response.status(Response.Status.CREATED).entity(key).build();
        });
    }

    /** Non-admins see their own keys; an admin every key, or one user's with {@code user_id}. */
    @GET
    public Uni<PageView<KeyView>> list(@QueryParam("user_id") String userIdParam, @QueryParam("page") String page,
                                       @QueryParam("per_page") String perPage, @Context RoutingContext ctx) {
        Caller caller = Caller.of(ctx);
        String userId = Params.userId("user_id", userIdParam);
        if (!caller.admin()) {
            if (userId != null && !userId.equals(caller.userId())) {
                throw new ApiException(Response.Status.FORBIDDEN,
                        "user_id: only an admin may list another user's keys");
            }
            userId = caller.userId();
        }
        return store.listKeys(userId, PageRequest.parse(page, perPage));
    }

    @GET
    @Path("{id}")
    public Uni<KeyView> get(@PathParam("id") String id, @Context RoutingContext ctx) {
        return visible(id, Caller.of(ctx));
    }

    @POST
    @Path("{id}/expire")
    public Uni<KeyView> expire(@PathParam("id") String id, Expire request, @Context RoutingContext ctx) {
        Instant at = request == null || request.expiresAt() == null ? clock.instant() : request.expiresAt();
        Caller caller = Caller.of(ctx);
        return visible(id, caller)
                .chain(key -> {
                    // an owner may end its key sooner, not outlive what an admin set
                    if (!caller.admin() && key.expiresAt() != null && at.isAfter(key.expiresAt())) {
                        throw ApiException.badRequest("expires_at: must not be later than the key's current "
                                + "expiry " + key.expiresAt() + " (only an admin may extend a key)");
                    }
                    return store.expireKey(key.id(), at);
                })
                .chain(ignored -> {
                    authenticator.evict(id);
                    LOG.infof("API key %s expires at %s", id, at);
                    return visible(id, Caller.of(ctx));
                });
    }

    @POST
    @Path("{id}/revoke")
    public Uni<KeyView> revoke(@PathParam("id") String id, @Context RoutingContext ctx) {
        return visible(id, Caller.of(ctx))
                .chain(key -> store.revokeKey(key.id()))
                .chain(ignored -> {
                    authenticator.evict(id);
                    LOG.infof("Revoked API key %s", id);
                    return visible(id, Caller.of(ctx));
                });
    }

    private Uni<KeyView> visible(String id, Caller caller) {
        return store.findKeyView(id).map(key -> key
                .filter(k -> caller.admin() || k.userId().equals(caller.userId()))
                .orElseThrow(() -> ApiException.notFound("No API key with id '" + id + "'.")));
    }

    private static int limit(String field, Integer value, int max) {
        return (int) limit(field, value == null ? null : value.longValue(), (long) max);
    }

    private static long limit(String field, Long value, long max) {
        if (value == null) {
            return 0;
        }
        if (value < 0 || value > max) {
            throw ApiException.badRequest(field + ": must be from 0 (unlimited) to " + max + ", was " + value);
        }
        return value;
    }
}
