package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.openai.OpenAiError;

/**
 * What the gateway reads from an OpenAI request body before forwarding it unchanged: the model name, whether
 * the client asked for a stream, and the leading text of the prompt (for prefix affinity): the text of
 * {@code messages[].content} (strings and text parts), {@code prompt}, {@code input} and {@code query}, in the
 * order they come, at most {@link #MAX_LEADING_CHARS}. The whole body is checked to be one JSON object (RFC 8259,
 * UTF-8); other fields are skipped. Read by {@link RequestScanner}, a byte scan, not a JSON parser.
 */
public record ForwardRequest(String model, boolean stream, String leadingText) {
    public static final int MAX_LEADING_CHARS = 4096;

    public ForwardRequest(String model, boolean stream) {
        this(model, stream, "");
    }

    /** A request the gateway answers itself with a 400. */
    public static final class Rejected extends Exception {
        private final OpenAiError error;

        public Rejected(OpenAiError error) {
            super(error.error().message(), null, false, false);
            this.error = error;
        }

        public OpenAiError error() {
            return error;
        }
    }

    public static ForwardRequest parse(byte[] body) throws Rejected {
        return parse(body, 0, body.length);
    }

    public static ForwardRequest parse(byte[] body, int offset, int length) throws Rejected {
        return RequestScanner.scan(body, offset, length, MAX_LEADING_CHARS);
    }

    /**
     * With the leading text cut after {@code maxLeadingChars} (at most {@link #MAX_LEADING_CHARS}): the gateway
     * keeps only what prefix affinity hashes, rather than building up to 4 KB of text per request to throw most
     * of it away.
     */
    public static ForwardRequest parse(byte[] body, int offset, int length, int maxLeadingChars) throws Rejected {
        return RequestScanner.scan(body, offset, length, Math.min(maxLeadingChars, MAX_LEADING_CHARS));
    }

    /** The request once the body has been read: refused where it names no model. */
    static ForwardRequest checked(String model, boolean modelSeen, boolean stream, String leadingText)
            throws Rejected {
        if (model == null && modelSeen) {
            throw new Rejected(OpenAiError.of("Invalid type for 'model': expected a string.",
                    OpenAiError.INVALID_REQUEST, "model", "invalid_type"));
        }
        if (model == null || model.isBlank()) {
            throw new Rejected(OpenAiError.of("Missing required parameter: 'model'. Name a model from /v1/models.",
                    OpenAiError.INVALID_REQUEST, "model", "missing_required_parameter"));
        }
        return new ForwardRequest(model, stream, leadingText);
    }

    static Rejected invalidBody(String message) {
        return new Rejected(OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "invalid_json"));
    }
}
