package dev.gpufleet.gateway.health;

import dev.gpufleet.kit.http.ApiExceptionMappers;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** A call the database could not take answers 503 with {@code Retry-After}, in the admin error shape. */
public class DatabaseUnavailableMapper {
    /** Seconds a client is asked to wait when the database is away. */
    public static final String RETRY_AFTER_SECONDS = "5";

    @ServerExceptionMapper
    public Response unavailable(DatabaseUnavailable e) {
        return Response.fromResponse(ApiExceptionMappers.error(503, e.getMessage()))
                .header(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS).build();
    }
}
