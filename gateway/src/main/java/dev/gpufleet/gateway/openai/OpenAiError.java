package dev.gpufleet.gateway.openai;

/** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
public record OpenAiError(Detail error) {

    public record Detail(String message, String type, String param, String code) {
    }

    static OpenAiError modelNotFound(String model) {
        return new OpenAiError(new Detail("The model '" + model + "' does not exist", "invalid_request_error",
                "model", "model_not_found"));
    }
}
