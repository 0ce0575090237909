package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Prompt tokens when the backend never said (a stream that broke before its usage chunk): about four characters
 * a token, over the text of {@code messages}, {@code prompt} and {@code input}. Only for that fallback.
 */
final class PromptEstimate {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int CHARS_PER_TOKEN = 4;

    private PromptEstimate() {
    }

    static long tokens(byte[] body) {
        long chars = 0;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return 0;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("messages") || field.equals("prompt") || field.equals("input")) {
                    if (value == JsonToken.VALUE_STRING) {
                        chars += parser.getTextLength();
                    } else if (value.isStructStart()) {
                        int depth = 1;
                        while (depth > 0) {
                            JsonToken token = parser.nextToken();
                            if (token == null) {
                                break;
                            }
                            if (token.isStructStart()) {
                                depth++;
                            } else if (token.isStructEnd()) {
                                depth--;
                            } else if (token == JsonToken.VALUE_STRING) {
                                chars += parser.getTextLength();
                            }
                        }
                    }
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            // counted what could be read
        }
        return (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }
}
