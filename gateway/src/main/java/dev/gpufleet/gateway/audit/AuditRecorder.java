package dev.gpufleet.gateway.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.gateway.auth.Caller;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Clock;

/**
 * Records every change made through the admin API ({@link AuditSubject}: creating, changing or deleting a model,
 * user, key, worker state or instance) in {@link AuditLog}, once the answer has gone out with success: who (the
 * caller's key, user and whether an admin), what, and which entity. Runs after the authentication filter and before
 * the routes that answer; a creation's new id is taken from the answer ({@link #noteCreated}). A record that cannot
 * be written (the database away) is logged and lost; the action itself has already happened.
 */
@ApplicationScoped
public class AuditRecorder {
    static final String CREATED_ID = "gpufleet.audit.created-id";
    static final String WANTS_CREATED_ID = "gpufleet.audit.wants-created-id";
    private static final Logger LOG = Logger.getLogger(AuditRecorder.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog log;
    private final Clock clock;

    public AuditRecorder(AuditLog log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    void register(@Observes Router router) {
        router.route("/api/v1/*").order(-1_000).handler(this::observe);
    }

    /** Whether the answer to this request should be read for the id of what it created. */
    public static boolean wantsCreatedId(RoutingContext ctx) {
        return Boolean.TRUE.equals(ctx.get(WANTS_CREATED_ID));
    }

    /** The created entity's id from the answer's body ({@code "id"}), if it has one. */
    public static void noteCreated(RoutingContext ctx, String body) {
        try {
            JsonNode id = JSON.readTree(body).path("id");
            if (id.isTextual() || id.isNumber()) {
                ctx.put(CREATED_ID, id.asText());
            }
        } catch (java.io.IOException | RuntimeException notJson) {
            // nothing to name
        }
    }

    /** For the gateway's own resources: what they created. */
    public static void noteCreatedId(RoutingContext ctx, String id) {
        ctx.put(CREATED_ID, id);
    }

    private void observe(RoutingContext ctx) {
        String method = ctx.request().method().name();
        AuditSubject.of(method, ctx.normalizedPath()).ifPresent(subject -> {
            Caller caller = ctx.get(Caller.CONTEXT_KEY);
            if (caller == null) {
                return;
            }
            if (subject.id() == null) {
                ctx.put(WANTS_CREATED_ID, true);
            }
            ctx.addEndHandler(ended -> record(ctx, caller, subject, method));
        });
        ctx.next();
    }

    private void record(RoutingContext ctx, Caller caller, AuditSubject subject, String method) {
        int status = ctx.response().getStatusCode();
        if (status < 200 || status >= 300) {
            return;
        }
        String id = subject.id() != null ? subject.id() : ctx.get(CREATED_ID);
        AuditEvent event = new AuditEvent(0, clock.instant(), caller.keyId(), caller.userId(), caller.userName(),
                caller.admin(), subject.action(), subject.kind(), id, method, ctx.normalizedPath(), status);
        log.append(event).subscribe().with(ignored -> { }, failure -> LOG.warnf(
                "Could not record %s %s by user %s in the audit log: %s", method, ctx.normalizedPath(),
                caller.userName(), failure.toString()));
    }
}
