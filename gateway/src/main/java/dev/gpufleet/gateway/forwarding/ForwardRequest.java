package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.gateway.openai.OpenAiError;
import dev.gpufleet.gateway.routing.PrefixKey;

import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * What the gateway reads from an OpenAI request body before forwarding it unchanged: the model name, whether
 * the client asked for a stream, and the prefix affinity key ({@link PrefixKey}) of the prompt's leading text: the
 * text of {@code messages[].content} (strings and text parts), {@code prompt}, {@code input} and {@code query}, in
 * the order they come, cut after {@link #MAX_LEADING_CHARS}; hashed as it is read, never kept. The whole body is
 * checked to be one JSON object (RFC 8259, UTF-8); other fields are skipped. Read by {@link RequestScanner}, a byte
 * scan, not a JSON parser.
 */
public record ForwardRequest(String model, boolean stream, OptionalLong affinityKey) {
    public static final int MAX_LEADING_CHARS = 4096;
    /** {@code RoutingConfig}'s defaults, for the parse methods that take no block settings. */
    public static final int DEFAULT_BLOCK_CHARS = 512;
    public static final int DEFAULT_BLOCKS = 2;

    /** A request without prompt text to hash (a multipart form). */
    public ForwardRequest(String model, boolean stream) {
        this(model, stream, OptionalLong.empty());
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
        return parse(body, offset, length, DEFAULT_BLOCK_CHARS, DEFAULT_BLOCKS);
    }

    /**
     * With the affinity key {@code PrefixKey.of(leadingText, blockChars, maxBlocks)}; the scan decodes no more of
     * the prompt than those blocks (nothing when affinity is off), and still checks the whole body.
     */
    public static ForwardRequest parse(byte[] body, int offset, int length, int blockChars, int maxBlocks)
            throws Rejected {
        return parse(body, offset, length, blockChars, maxBlocks, model -> true);
    }

    /**
     * As above, with the affinity key only where {@code keyWanted} says the named model needs one (the balancer:
     * a model with more than one instance); otherwise none of the prompt is decoded or hashed.
     */
    public static ForwardRequest parse(byte[] body, int offset, int length, int blockChars, int maxBlocks,
                                       Predicate<String> keyWanted) throws Rejected {
        return RequestScanner.scan(body, offset, length, blockChars, maxBlocks, MAX_LEADING_CHARS, keyWanted);
    }

    /** The request once the body has been read: refused where it names no model. */
    static ForwardRequest checked(String model, boolean modelSeen, boolean stream, OptionalLong affinityKey)
            throws Rejected {
        if (model == null && modelSeen) {
            throw new Rejected(OpenAiError.of("Invalid type for 'model': expected a string.",
                    OpenAiError.INVALID_REQUEST, "model", "invalid_type"));
        }
        if (model == null || model.isBlank()) {
            throw new Rejected(OpenAiError.of("Missing required parameter: 'model'. Name a model from /v1/models.",
                    OpenAiError.INVALID_REQUEST, "model", "missing_required_parameter"));
        }
        return new ForwardRequest(model, stream, affinityKey);
    }

    static Rejected invalidBody(String message) {
        return new Rejected(OpenAiError.of(message, OpenAiError.INVALID_REQUEST, null, "invalid_json"));
    }
}
