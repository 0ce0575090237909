package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.gpufleet.gateway.openai.OpenAiError;

import java.io.IOException;

/**
 * What the gateway reads from an OpenAI request body before forwarding it unchanged: the model name and whether
 * the client asked for a stream. The whole body is checked to be one JSON object; other fields are skipped.
 */
public record ForwardRequest(String model, boolean stream) {
    private static final JsonFactory JSON = new JsonFactory();

    /** A request the gateway answers itself with a 400. */
    public static final class Rejected extends Exception {
        private final OpenAiError error;

        Rejected(OpenAiError error) {
            super(error.error().message(), null, false, false);
            this.error = error;
        }

        public OpenAiError error() {
            return error;
        }
    }

    public static ForwardRequest parse(byte[] body) throws Rejected {
        String model = null;
        boolean modelSeen = false;
        boolean stream = false;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw invalidBody("The request body must be a JSON object.");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("model".equals(field)) {
                    modelSeen = value != JsonToken.VALUE_NULL;
                    model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                } else if ("stream".equals(field)) {
                    stream = value == JsonToken.VALUE_TRUE;
                }
                parser.skipChildren();
            }
            if (parser.nextToken() != null) {
                throw invalidBody("The request body must be exactly one JSON object.");
            }
        } catch (JsonProcessingException e) {
            throw invalidBody("We could not parse the JSON body of your request: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalidBody("We could not read the body of your request.");
        }
        if (model == null && modelSeen) {
            throw new Rejected(OpenAiError.of("Invalid type for 'model': expected a string.",
                    OpenAiError.INVALID_REQUEST, "model", "invalid_type"));
        }
        if (model == null || model.isBlank()) {
            throw new Rejected(OpenAiError.of("Missing required parameter: 'model'. Name a model from /v1/models.",
                    OpenAiError.INVALID_REQUEST, "model", "missing_required_parameter"));
        }
        return new ForwardRequest(model, stream);
    }

    private static Rejected invalidBody(String message) {
        return new Rejected(OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "invalid_json"));
    }
}
