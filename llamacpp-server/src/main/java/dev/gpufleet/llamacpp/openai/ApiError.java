package dev.gpufleet.llamacpp.openai;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An error answered in OpenAI's shape: {@code {"error":{"message","type","code"}}}, code being the HTTP status. */
public final class ApiError extends Exception {

    private final int status;
    private final String type;

    public ApiError(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", message);
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "authentication_error", "invalid or missing API key: send 'Authorization: Bearer <key>'");
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found_error", message);
    }

    public static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", method + " is not allowed on " + path);
    }

    public static ApiError tooLarge(String message) {
        return new ApiError(413, "invalid_request_error", message);
    }

    public static ApiError notSupported(String message) {
        return new ApiError(501, "not_supported_error", message);
    }

    public static ApiError loading() {
        return new ApiError(503, "unavailable_error", "the model is still loading");
    }

    public static ApiError stopping() {
        return new ApiError(503, "unavailable_error", "the server is stopping");
    }

    public static ApiError server(String message) {
        return new ApiError(500, "server_error", message);
    }

    public int status() {
        return status;
    }

    public ObjectNode toJson() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.putObject("error").put("message", getMessage()).put("type", type).put("code", status);
        return root;
    }
}
