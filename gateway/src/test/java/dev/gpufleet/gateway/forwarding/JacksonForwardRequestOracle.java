package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.PrefixKey;

import java.io.IOException;

/**
 * {@link ForwardRequest#parse} as it was before {@link RequestScanner}: Jackson's streaming parser with its default
 * settings. Kept unchanged as the oracle of the differential test, except that it hands back the leading text
 * itself ({@link Parsed}), which the scanner now only hashes.
 */
final class JacksonForwardRequestOracle {
    private static final JsonFactory JSON = new JsonFactory();

    private JacksonForwardRequestOracle() {
    }

    /** What the oracle read; the leading text cut after {@link ForwardRequest#MAX_LEADING_CHARS}. */
    record Parsed(String model, boolean stream, String leadingText) {
        /** The request the scanner should give under these block settings. */
        ForwardRequest request(int blockChars, int maxBlocks) {
            return new ForwardRequest(model, stream, PrefixKey.of(leadingText, blockChars, maxBlocks));
        }

        /** Under the defaults of {@link ForwardRequest#parse(byte[])}. */
        ForwardRequest request() {
            return request(ForwardRequest.DEFAULT_BLOCK_CHARS, ForwardRequest.DEFAULT_BLOCKS);
        }
    }

    public static Parsed parse(byte[] body) throws ForwardRequest.Rejected {
        return parse(body, 0, body.length);
    }

    public static Parsed parse(byte[] body, int offset, int length) throws ForwardRequest.Rejected {
        String model = null;
        boolean modelSeen = false;
        boolean stream = false;
        StringBuilder leading = new StringBuilder();
        try (JsonParser parser = JSON.createParser(body, offset, length)) {
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
                } else if ("messages".equals(field) || "prompt".equals(field) || "input".equals(field)
                        || "query".equals(field)) {
                    collectText(parser, leading);
                    continue;
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
            throw new ForwardRequest.Rejected(OpenAiError.of("Invalid type for 'model': expected a string.",
                    OpenAiError.INVALID_REQUEST, "model", "invalid_type"));
        }
        if (model == null || model.isBlank()) {
            throw new ForwardRequest.Rejected(OpenAiError.of(
                    "Missing required parameter: 'model'. Name a model from /v1/models.",
                    OpenAiError.INVALID_REQUEST, "model", "missing_required_parameter"));
        }
        return new Parsed(model, stream, leading.toString());
    }

    /**
     * Appends the text values of the value the parser is on (a string, or strings nested in arrays and objects,
     * where objects count only their {@code content} and {@code text} fields) and leaves the parser on its last
     * token, as {@link JsonParser#skipChildren} would.
     */
    private static void collectText(JsonParser parser, StringBuilder into) throws IOException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.VALUE_STRING) {
            append(into, parser.getText());
            return;
        }
        if (token == JsonToken.START_ARRAY) {
            for (JsonToken next = parser.nextToken(); next != JsonToken.END_ARRAY; next = parser.nextToken()) {
                if (next == null) {
                    throw new JsonParseException(parser, "Unexpected end-of-input in an array");
                }
                collectText(parser, into);
            }
            return;
        }
        if (token == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                parser.nextToken();
                if ("content".equals(field) || "text".equals(field)) {
                    collectText(parser, into);
                } else {
                    parser.skipChildren();
                }
            }
        }
    }

    private static void append(StringBuilder into, String text) {
        int room = ForwardRequest.MAX_LEADING_CHARS - into.length();
        if (room > 0) {
            into.append(text, 0, Math.min(room, text.length()));
        }
    }

    private static ForwardRequest.Rejected invalidBody(String message) {
        return new ForwardRequest.Rejected(
                OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "invalid_json"));
    }
}
