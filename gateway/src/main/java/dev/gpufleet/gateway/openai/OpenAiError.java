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

    public static OpenAiError backendUnreachable(String model) {
        return of("The model '" + model + "' is registered but its backend is unreachable (backend unreachable)",
                "api_error", null, "backend_unreachable");
    }
}
