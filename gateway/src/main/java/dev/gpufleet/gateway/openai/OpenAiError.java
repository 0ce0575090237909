package dev.gpufleet.gateway.openai;

/** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
public record OpenAiError(Detail error) {
    public static final String INVALID_REQUEST = "invalid_request_error";

    public record Detail(String message, String type, String param, String code) {
    }

    public static OpenAiError of(String message, String type, String param, String code) {
        return new OpenAiError(new Detail(message, type, param, code));
    }

    public static OpenAiError modelNotFound(String model) {
        return of("The model '" + model + "' does not exist", INVALID_REQUEST, "model", "model_not_found");
    }

    public static OpenAiError modelNotReady(String model) {
        return of("The model '" + model + "' has no running instance at the moment; retry shortly",
                "service_unavailable", "model", "model_not_ready");
    }

    /** Every instance of the model is serving as many requests as it can, and the line for it is full. */
    public static OpenAiError overloaded(String model) {
        return of("The model '" + model + "' is at capacity: every instance is busy and the line of waiting "
                + "requests is full; retry shortly", "service_unavailable", "model", "model_overloaded");
    }

    public static OpenAiError overloadedAfterWaiting(String model, long seconds) {
        return of("The model '" + model + "' is at capacity: no instance had a free slot within " + seconds
                + " s; retry shortly", "service_unavailable", "model", "model_overloaded");
    }

    /** The gateway has not read its routing table to the end since it started. */
    public static OpenAiError routingTableLoading() {
        return of("The gateway is still reading its routing table after a start; retry shortly",
                "service_unavailable", null, "gateway_starting");
    }

    public static OpenAiError backendUnreachable(String model) {
        return of("The model '" + model + "' is registered but its backend is unreachable (backend unreachable)",
                "api_error", null, "backend_unreachable");
    }

    public static OpenAiError backendTimeout(String model, long seconds) {
        return of("The model '" + model + "' did not start answering within " + seconds + " s (backend timeout)",
                "timeout", null, "backend_timeout");
    }

    /** Sent as the last event of a stream whose backend broke off. */
    public static OpenAiError backendBrokeOff(String model) {
        return of("The backend of model '" + model + "' broke off its answer before the end; the answer is incomplete",
                "api_error", null, "backend_disconnected");
    }

    public static OpenAiError bodyTooLarge(long maxBytes) {
        return of("The request body is larger than the gateway accepts (" + maxBytes + " bytes).",
                INVALID_REQUEST, null, "request_too_large");
    }

    public static OpenAiError tooManyHeaders(int count, int maxHeaders) {
        return of("The request has " + count + " headers; the gateway accepts at most " + maxHeaders + ".",
                INVALID_REQUEST, null, "too_many_headers");
    }
}
