package dev.gpufleet.gateway.forwarding;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The token counts of an answer, read from the last {@code "usage"} object in its final bytes: OpenAI-compatible
 * servers put it at the end of a JSON answer and in the last event of a stream (before {@code [DONE]}). Only the
 * last {@link #KEEP} bytes are kept, whatever the answer's size.
 */
public final class UsageTail {
    static final int KEEP = 8192;
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] KEY = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    public record Usage(long promptTokens, long completionTokens) {
    }

    private final byte[] tail = new byte[KEEP];
    private int length;

    public void add(Buffer buffer) {
        int size = buffer.length();
        add(buffer.getBytes(Math.max(0, size - KEEP), size));
    }

    public void add(byte[] chunk) {
        if (chunk.length >= KEEP) {
            System.arraycopy(chunk, chunk.length - KEEP, tail, 0, KEEP);
            length = KEEP;
            return;
        }
        int overflow = length + chunk.length - KEEP;
        if (overflow > 0) {
            System.arraycopy(tail, overflow, tail, 0, length - overflow);
            length -= overflow;
        }
        System.arraycopy(chunk, 0, tail, length, chunk.length);
        length += chunk.length;
    }

    /** The counts of the last well-formed usage object seen; empty if there is none. */
    public Optional<Usage> usage() {
        for (int at = lastIndexOfKey(length); at >= 0; at = lastIndexOfKey(at)) {
            Optional<Usage> usage = parseAfter(at + KEY.length);
            if (usage.isPresent()) {
                return usage;
            }
        }
        return Optional.empty();
    }

    private int lastIndexOfKey(int before) {
        outer:
        for (int i = Math.min(before, length) - KEY.length; i >= 0; i--) {
            for (int j = 0; j < KEY.length; j++) {
                if (tail[i + j] != KEY[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private Optional<Usage> parseAfter(int from) {
        int at = from;
        while (at < length && (tail[at] == ' ' || tail[at] == '\t' || tail[at] == '\r' || tail[at] == '\n')) {
            at++;
        }
        if (at >= length || tail[at] != ':') {
            return Optional.empty();
        }
        try (JsonParser parser = JSON.createParser(tail, at + 1, length - at - 1)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            long prompt = 0;
            long completion = 0;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value == JsonToken.VALUE_NUMBER_INT && "prompt_tokens".equals(field)) {
                    prompt = parser.getLongValue();
                } else if (value == JsonToken.VALUE_NUMBER_INT && "completion_tokens".equals(field)) {
                    completion = parser.getLongValue();
                } else {
                    parser.skipChildren();
                }
            }
            return parser.currentToken() == JsonToken.END_OBJECT
                    ? Optional.of(new Usage(prompt, completion)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
