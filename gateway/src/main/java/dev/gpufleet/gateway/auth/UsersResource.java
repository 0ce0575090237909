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
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.util.Optional;

/** {@code /api/v1/users}: admins only (the auth filter turns everyone else away). */
@Path("/api/v1/users")
@Produces(MediaType.APPLICATION_JSON)
public class UsersResource {
    private static final Logger LOG = Logger.getLogger(UsersResource.class);

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CreateUser(String name, Boolean admin, Integer requestsPerMinute, Long tokensPerMinute,
                             Integer maxKeyDays) {
    }

    /** A user's limits; absent fields are 0 (no limit). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Limits(Integer requestsPerMinute, Long tokensPerMinute, Integer maxKeyDays) {
    }

    private final AuthStore store;
    private final Authenticator authenticator;

    public UsersResource(AuthStore store, Authenticator authenticator) {
        this.store = store;
        this.authenticator = authenticator;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> create(CreateUser request, @Context RoutingContext ctx) {
        if (request == null) {
            throw ApiException.badRequest("body: must be a JSON object {\"name\": ..., \"admin\": true|false, "
                    + "\"requests_per_minute\", \"tokens_per_minute\", \"max_key_days\"}");
        }
        String name = Params.name("name", request.name());
        boolean admin = Boolean.TRUE.equals(request.admin());
        UserLimits limits = UserLimits.of(request.requestsPerMinute(), request.tokensPerMinute(),
                request.maxKeyDays());
        return store.createUser(name, admin, limits).map(user -> {
            LOG.infof("Created user %s (%s)%s", user.name(), user.id(), admin ? " with admin rights" : "");
            AuditRecorder.noteCreatedId(ctx, user.id());
            return Response.status(Response.Status.CREATED).entity(user).build();
        });
    }

    @GET
    public Uni<PageView<UserView>> list(@QueryParam("page") String page, @QueryParam("per_page") String perPage) {
        return store.listUsers(PageRequest.parse(page, perPage));
    }

    @GET
    @Path("{id}")
    public Uni<UserView> get(@PathParam("id") String id) {
        return find(id);
    }

    @POST
    @Path("{id}/disable")
    public Uni<UserView> disable(@PathParam("id") String id, @Context RoutingContext ctx) {
        return setDisabled(id, true, ctx);
    }

    @POST
    @Path("{id}/enable")
    public Uni<UserView> enable(@PathParam("id") String id, @Context RoutingContext ctx) {
        return setDisabled(id, false, ctx);
    }

    /** Deletes the user and its keys. */
    @DELETE
    @Path("{id}")
    public Uni<Response> delete(@PathParam("id") String id, @Context RoutingContext ctx) {
        return find(id).chain(user -> {
            refuseSelf(user, ctx, "delete");
            return store.keyIdsOf(user.id()).chain(keys -> store.deleteUser(user.id()).map(deleted -> {
                authenticator.evict(keys);
                LOG.infof("Deleted user %s (%s) and its %d keys", user.name(), user.id(), keys.size());
                return Response.noContent().build();
            }));
        });
    }

    private Uni<UserView> setDisabled(String id, boolean disabled, RoutingContext ctx) {
        return find(id).chain(user -> {
            if (disabled) {
                refuseSelf(user, ctx, "disable");
            }
            return store.setUserDisabled(user.id(), disabled)
                    .chain(ignored -> store.keyIdsOf(user.id()))
                    .map(keys -> {
                        authenticator.evict(keys);
                        LOG.infof("%s user %s (%s)", disabled ? "Disabled" : "Enabled", user.name(), user.id());
                        return user.withDisabled(disabled);
                    });
        });
    }

    /**
     * Sets the limits every key of the user stays within (requests and tokens per minute, the longest key life in
     * days; 0 or absent: none). Keys the user has already keep their terms.
     */
    @PUT
    @Path("{id}/limits")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<UserView> setLimits(@PathParam("id") String id, Limits request) {
        if (request == null) {
            throw ApiException.badRequest("body: must be a JSON object {\"requests_per_minute\", "
                    + "\"tokens_per_minute\", \"max_key_days\"}");
        }
        UserLimits limits = UserLimits.of(request.requestsPerMinute(), request.tokensPerMinute(),
                request.maxKeyDays());
        return find(id).chain(user -> store.setUserLimits(user.id(), limits).map(ignored -> {
            LOG.infof("Set the limits of user %s (%s): %s", user.name(), user.id(), limits);
            return user.withLimits(limits);
        }));
    }

    private static void refuseSelf(UserView user, RoutingContext ctx, String action) {
        if (user.id().equals(Caller.of(ctx).userId())) {
            throw ApiException.conflict("You cannot " + action + " your own user; ask another admin.");
        }
    }

    private Uni<UserView> find(String id) {
        Uni<Optional<UserView>> found = Params.isUuid(id) ? store.findUser(id)
                : Uni.createFrom().item(Optional.empty());
        return found.map(user -> user.orElseThrow(() -> ApiException.notFound("No user with id '" + id + "'.")));
    }
}
