package dev.gpufleet.registry.hub;

import java.io.IOException;

/**
 * A hub call that failed, with what kind of failure it was so that the caller can decide: {@link #isTransient()}
 * failures (hub down, 5xx, timeout) are retried with backoff; the others are the user's to fix and are reported.
 * Messages name the repository or file and the setting to change; they never contain a token.
 */
public final class HubException extends IOException {
    public enum Kind {
        /** 404: no such repository, revision or file. */
        NOT_FOUND(false),
        /** 401: the hub wants a token, or refused the one sent. */
        UNAUTHORIZED(false),
        /** 403: the token is valid but may not read this repository (gated or private). */
        FORBIDDEN(false),
        /** No answer, or not all of it, within the timeout. */
        TIMEOUT(true),
        /** The answer ended before the bytes asked for. */
        TRUNCATED(true),
        /** 5xx, 429, connection refused or reset. */
        UNAVAILABLE(true),
        /** An answer this client cannot use (unexpected status, malformed JSON, a Range request ignored). */
        BAD_RESPONSE(false);

        private final boolean transientFailure;

        Kind(boolean transientFailure) {
            this.transientFailure = transientFailure;
        }
    }

    private final Kind kind;

    public HubException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** True when trying again later may succeed without anyone changing anything. */
    public boolean isTransient() {
        return kind.transientFailure;
    }
}
