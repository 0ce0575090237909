package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.http.BufferBytes;
import io.quarkus.arc.All;
import io.vertx.core.buffer.Buffer;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Where forwarding hands usage metering what passes through: the request body before it leaves (a stream gets
 * {@code stream_options.include_usage}), each answer buffer, and the end. Tells every {@link UsageListener} once
 * per answered request.
 */
@Singleton
public class UsageTap {
    private static final Logger LOG = Logger.getLogger(UsageTap.class);
    /** The endpoints whose streams can carry a usage chunk. */
    private static final List<String> STREAM_USAGE_PATHS = List.of("/v1/chat/completions", "/v1/completions");

    private final List<UsageListener> listeners;

    public UsageTap(@All List<UsageListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** @param body the request body as the client sent it (a JSON object, already checked) */
    public Metered open(Caller caller, String path, String model, boolean stream, Buffer body) {
        return new Metered(caller, model, stream && STREAM_USAGE_PATHS.contains(path), body);
    }

    /** One request's metering. Its methods are called on the request's event loop, in order. */
    public final class Metered {
        private final Caller caller;
        private final String model;
        private final Buffer clientBody;
        private final Buffer backendBody;
        private final boolean clientAskedForUsage;
        private UsageScanner json;
        /** A JSON answer's first buffer, not yet fed to {@link #json}: most answers come whole in one. */
        private Buffer firstJson;
        /** A second buffer came: the answer is scanned forward as it passes. */
        private boolean scanning;
        /** What the tail of a one-buffer answer said, once it ended; the forward scan tells when not known. */
        private UsageTail.Result tail;
        private SseUsageFilter sse;
        private boolean answered;
        private boolean done;

        private Metered(Caller caller, String model, boolean streamWithUsage, Buffer body) {
            this.caller = caller;
            this.model = model;
            this.clientBody = body == null ? Buffer.buffer() : body;
            if (streamWithUsage) {
                byte[] bytes = clientBody.getBytes();
                StreamOptions options = StreamOptions.withUsage(bytes);
                this.backendBody = options.body() == bytes ? clientBody : Buffer.buffer(options.body());
                this.clientAskedForUsage = options.clientAskedForUsage();
            } else {
                this.backendBody = body;
                this.clientAskedForUsage = true;
            }
        }

        /** The body to send to the backend. */
        public Buffer requestBody() {
            return backendBody;
        }

        /** The backend answered with this status and content type; only a 2xx answer is metered. */
        public void answered(int status, String contentType) {
            if (status < 200 || status >= 300) {
                return;
            }
            answered = true;
            if (contentType != null && contentType.startsWith("text/event-stream")) {
                sse = new SseUsageFilter(!clientAskedForUsage);
            } else {
                json = UsageScanner.incremental();
            }
        }

        /** What of this answer buffer goes on to the client; usually the buffer itself. */
        public Buffer chunk(Buffer chunk) {
            if (sse != null) {
                byte[] bytes = chunk.getBytes();
                byte[] out = sse.accept(bytes);
                return out == bytes ? chunk : Buffer.buffer(out);
            }
            if (json != null && !scanning && firstJson == null) {
                // held, not scanned: if the answer ends with this buffer, its usage is read from its tail (end)
                firstJson = chunk;
            } else if (json != null) {
                scanning = true;
                feedFirst();
                feed(chunk);
            }
            return chunk;
        }

        /** The answer ended whole: anything held back, to write before the end. */
        public Buffer end() {
            if (sse != null) {
                byte[] rest = sse.rest();
                return rest.length == 0 ? null : Buffer.buffer(rest);
            }
            if (json != null) {
                if (firstJson != null) {
                    // the whole answer came in this one buffer
                    tail = BufferBytes.read(firstJson, UsageTail::of);
                    if (tail.known()) {
                        firstJson = null;
                        return null;
                    }
                }
                feedFirst();
                json.end();
            }
            return null;
        }

        private void feedFirst() {
            if (firstJson != null) {
                Buffer first = firstJson;
                firstJson = null;
                feed(first);
            }
        }

        private void feed(Buffer chunk) {
            if (!json.broken()) {
                // an answer that is not JSON (audio, images) stops the scanner at its first byte
                BufferBytes.read(chunk, (bytes, offset, length) -> {
                    json.feed(bytes, offset, length);
                    return null;
                });
            }
        }

        /**
         * The exchange is over, whole or not; usage is told once. Safe to call more than once.
         *
         * @return the usage told, as the backend reported it or as estimated ({@link TokenUsage#estimated()}), for
         *         the token metrics; null on a later call or when no answer began
         */
        public TokenUsage finished() {
            if (done || !answered) {
                return null;
            }
            done = true;
            TokenUsage reported;
            if (sse != null) {
                reported = sse.usage();
            } else if (tail != null && tail.known()) {
                reported = tail.usage();
            } else {
                feedFirst(); // an answer cut off after its first buffer: what came, as the forward scan saw it
                reported = json.usage();
            }
            TokenUsage usage = reported;
            if (usage == null) {
                // the backend never said (a broken stream, or one that ignores include_usage): what was seen
                usage = new TokenUsage(PromptEstimate.tokens(clientBody.getBytes()),
                        sse == null ? 0 : sse.contentChunks(), true);
            }
            for (UsageListener listener : listeners) {
                try {
                    listener.used(caller, model, usage);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "Usage listener %s failed for model %s", listener.getClass().getSimpleName(),
                            model);
                }
            }
            return usage;
        }
    }
}
