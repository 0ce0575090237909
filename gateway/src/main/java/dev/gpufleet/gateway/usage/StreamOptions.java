package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A streaming request as it goes to the backend: with {@code "stream_options": {"include_usage": true}}, so that
 * the stream ends with the tokens it used. Whether the client asked for that itself decides whether it sees the
 * extra chunk.
 */
record StreamOptions(byte[] body, boolean clientAskedForUsage) {
    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] INSERTED = "\"stream_options\":{\"include_usage\":true}"
            .getBytes(StandardCharsets.US_ASCII);

    /** @param body one JSON object (the gateway has checked that already) */
    static StreamOptions withUsage(byte[] body) {
        Boolean asked = includeUsage(body);
        if (asked == null) {
            return new StreamOptions(insertFirst(body), false);
        }
        if (asked) {
            return new StreamOptions(body, true);
        }
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(body);
            if (root.get("stream_options") instanceof ObjectNode options) {
                options.put("include_usage", true);
            } else {
                root.putObject("stream_options").put("include_usage", true);
            }
            return new StreamOptions(MAPPER.writeValueAsBytes(root), false);
        } catch (IOException | ClassCastException e) {
            return new StreamOptions(body, false);
        }
    }

    /** null: no {@code stream_options}; else whether it sets {@code include_usage: true}. */
    private static Boolean includeUsage(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("stream_options".equals(field)) {
                    if (value != JsonToken.START_OBJECT) {
                        return false;
                    }
                    boolean include = false;
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String option = parser.currentName();
                        JsonToken optionValue = parser.nextToken();
                        if ("include_usage".equals(option)) {
                            include = optionValue == JsonToken.VALUE_TRUE;
                        }
                        parser.skipChildren();
                    }
                    return include;
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return false;
        }
    }

    /** Cheaper than rewriting the body: the field goes in right after the opening brace. */
    private static byte[] insertFirst(byte[] body) {
        int brace = 0;
        while (brace < body.length && body[brace] != '{') {
            brace++;
        }
        int next = brace + 1;
        while (next < body.length && Character.isWhitespace(body[next])) {
            next++;
        }
        boolean empty = next < body.length && body[next] == '}';
        byte[] result = new byte[body.length + INSERTED.length + (empty ? 0 : 1)];
        System.arraycopy(body, 0, result, 0, brace + 1);
        System.arraycopy(INSERTED, 0, result, brace + 1, INSERTED.length);
        int at = brace + 1 + INSERTED.length;
        if (!empty) {
            result[at++] = ',';
        }
        System.arraycopy(body, brace + 1, result, at, body.length - brace - 1);
        return result;
    }
}
