package dev.gpufleet.registry;

import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.gpufleet.kit.http.ApiExceptionMappers;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * A body whose field has the wrong JSON type ({@code "replicas": "many"}) is a {@link MismatchedInputException},
 * which Quarkus' own, more specific mapper would answer without the admin error shape; this one renders it like
 * every other bad body, naming the field.
 */
public class JsonBodyErrors {
    private final ApiExceptionMappers mappers = new ApiExceptionMappers();

    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return mappers.badJson(e);
    }
}
