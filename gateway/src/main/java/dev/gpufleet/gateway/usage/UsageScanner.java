package dev.gpufleet.gateway.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;

import java.io.IOException;

/**
 * Finds the top-level {@code usage} object of an OpenAI answer (and how many {@code choices} it has) while the
 * answer streams past: fed chunk by chunk, it keeps no copy of the body. Input that is not JSON just yields no usage.
 */
final class UsageScanner {
    private static final JsonFactory JSON = new JsonFactory();

    private final JsonParser parser;
    private int depth;
    private String pendingField;
    private boolean inUsage;
    private boolean inChoices;
    private boolean broken;
    private boolean usageSeen;
    private long prompt;
    private long completion;
    private long total;
    private int choices;

    private UsageScanner(JsonParser parser) {
        this.parser = parser;
    }

    /** For a body that arrives in chunks: {@link #feed}, then {@link #end}. */
    static UsageScanner incremental() {
        try {
            return new UsageScanner(JSON.createNonBlockingByteArrayParser());
        } catch (IOException e) {
            throw new IllegalStateException("no non-blocking JSON parser", e);
        }
    }

    /** For one whole JSON document, e.g. an SSE event's data. */
    static UsageScanner of(byte[] json, int offset, int length) {
        UsageScanner scanner;
        try {
            scanner = new UsageScanner(JSON.createParser(json, offset, length));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        scanner.drain();
        return scanner;
    }

    void feed(byte[] bytes) {
        if (broken) {
            return;
        }
        try {
            ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(bytes, 0, bytes.length);
        } catch (IOException e) {
            broken = true;
            return;
        }
        drain();
    }

    void end() {
        if (!broken) {
            ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).endOfInput();
            drain();
        }
    }

    private void drain() {
        try {
            for (JsonToken token = parser.nextToken(); token != null && token != JsonToken.NOT_AVAILABLE;
                 token = parser.nextToken()) {
                take(token);
            }
        } catch (IOException e) {
            broken = true;
        }
    }

    private void take(JsonToken token) throws IOException {
        switch (token) {
            case START_OBJECT, START_ARRAY -> {
                depth++;
                if (depth == 2 && "usage".equals(pendingField) && token == JsonToken.START_OBJECT) {
                    inUsage = true;
                    usageSeen = true;
                } else if (depth == 2 && "choices".equals(pendingField) && token == JsonToken.START_ARRAY) {
                    inChoices = true;
                } else if (depth == 3 && inChoices) {
                    choices++;
                }
                pendingField = null;
            }
            case END_OBJECT, END_ARRAY -> {
                if (depth == 2) {
                    inUsage = false;
                    inChoices = false;
                }
                depth--;
                pendingField = null;
            }
            case FIELD_NAME -> pendingField = depth == 1 || (inUsage && depth == 2) ? parser.currentName() : null;
            case VALUE_NUMBER_INT -> {
                if (inUsage && depth == 2 && pendingField != null) {
                    switch (pendingField) {
                        case "prompt_tokens" -> prompt = parser.getLongValue();
                        case "completion_tokens" -> completion = parser.getLongValue();
                        case "total_tokens" -> total = parser.getLongValue();
                        default -> {
                        }
                    }
                }
                pendingField = null;
            }
            default -> pendingField = null;
        }
    }

    /** The usage found, if any; embeddings report only prompt and total tokens. */
    TokenUsage usage() {
        if (!usageSeen) {
            return null;
        }
        long promptTokens = prompt > 0 || total == 0 ? prompt : Math.max(0, total - completion);
        return new TokenUsage(promptTokens, completion);
    }

    int choices() {
        return choices;
    }

    boolean broken() {
        return broken;
    }
}
