package dev.gpufleet.gateway.audit;

import dev.gpufleet.gateway.auth.Caller;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Clock;

/**
 * Records each call on the admin API ({@code /api/v1/**}) that authentication refused, 401 or 403, in the
 * {@link AuditLog}: action {@code refused}, who (the caller when its key was valid but not enough; else the public id
 * of a well-formed key that was sent, never its secret; and the client's address), what (method, path, the kind and
 * id the path names) and why (the refusal's message). Calls refused for too many failures (429) are not recorded:
 * they are what keeps a guessing client from filling the log. A record that cannot be written is logged and lost.
 */
@ApplicationScoped
public class RefusalAudit {
    private static final Logger LOG = Logger.getLogger(RefusalAudit.class);
    private static final String ADMIN_API = "/api/v1/";
    private static final int MAX_PATH = 512;
    private static final int MAX_NAME = 128;

    private final AuditLog log;
    private final Clock clock;

    public RefusalAudit(AuditLog log, Clock clock) {
        this.log = log;
        this.clock = clock;
    }

    /**
     * @param caller         who called, when its key was valid (a 403); else null
     * @param presentedKeyId the public id of the well-formed key that was sent, or null
     */
    public void refused(RoutingContext ctx, String path, int status, String reason, Caller caller,
                        String presentedKeyId) {
        AuditEvent event = event(clock.instant(), ctx.request().method().name(), path, status, reason, caller,
                presentedKeyId, clientAddress(ctx));
        if (event == null) {
            return;
        }
        log.append(event).subscribe().with(ignored -> { }, failure -> LOG.warnf(
                "Could not record a refused %s %s in the audit log: %s", event.method(), event.path(),
                failure.toString()));
    }

    /** The record of a refused call, or null when it is not one to record (not the admin API, not 401/403). */
    static AuditEvent event(java.time.Instant at, String method, String path, int status, String reason,
                            Caller caller, String presentedKeyId, String clientAddress) {
        if (path == null || !path.startsWith(ADMIN_API) || (status != 401 && status != 403)) {
            return null;
        }
        String[] parts = path.substring(ADMIN_API.length()).split("/", -1);
        String kind = clip(AuditSubject.KINDS.getOrDefault(parts[0], parts[0]), MAX_NAME);
        String entity = parts.length > 1 && !parts[1].isEmpty() ? clip(parts[1], MAX_NAME) : null;
        return new AuditEvent(0, at, caller != null ? caller.keyId() : presentedKeyId == null ? "" : presentedKeyId,
                caller != null ? caller.userId() : "", caller != null ? caller.userName() : "",
                caller != null && caller.admin(), AuditEvent.REFUSED, kind, entity, method, clip(path, MAX_PATH),
                status, reason, clientAddress);
    }

    private static String clip(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }

    private static String clientAddress(RoutingContext ctx) {
        io.vertx.core.net.SocketAddress address = ctx.request().remoteAddress();
        return address == null ? null : address.hostAddress();
    }
}
