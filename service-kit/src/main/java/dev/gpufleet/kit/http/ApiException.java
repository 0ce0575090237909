package dev.gpufleet.kit.http;

import jakarta.ws.rs.core.Response;

/** Thrown by admin resources; rendered as {@link ApiError} with the given status. */
public class ApiException extends RuntimeException {
    private final Response.Status status;

    public ApiException(Response.Status status, String message) {
        super(message);
        this.status = status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(Response.Status.BAD_REQUEST, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(Response.Status.NOT_FOUND, message);
    }

    public static ApiException conflict(String message) {
        return new ApiException(Response.Status.CONFLICT, message);
    }

    public Response.Status status() {
        return status;
    }
}
