package dev.gpufleet.gateway.audit;

import dev.gpufleet.kit.http.PageRequest;
import dev.gpufleet.kit.http.PageView;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** {@code GET /api/v1/audit-events}: the admin actions, newest first; admins only (the auth filter). */
@Path("/api/v1/audit-events")
@Produces(MediaType.APPLICATION_JSON)
public class AuditEventsResource {
    private final AuditLog log;

    public AuditEventsResource(AuditLog log) {
        this.log = log;
    }

    @GET
    public Uni<PageView<AuditEvent>> list(@QueryParam("page") String page, @QueryParam("per_page") String perPage) {
        return log.list(PageRequest.parse(page, perPage));
    }
}
