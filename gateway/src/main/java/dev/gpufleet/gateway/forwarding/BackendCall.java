package dev.gpufleet.gateway.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.vertx.core.buffer.Buffer;

/**
 * One request to one backend and its answer, on the event loop that made it; every method is called there and
 * every callback comes there. The listener hears of the call until it ends (the answer's end, or a failure), and
 * never after it was {@link #abandon abandoned}.
 */
final class BackendCall {

    /**
     * What becomes of the call. A callback may come while {@link #start} runs (a connection that fails at once), so
     * a caller keeps its handle on the call before it starts it.
     */
    interface Listener {
        /** The answer's status line and headers; its body follows. */
        void head(HttpResponse head);

        /** A piece of the answer's body, on the heap, as it arrived. */
        void content(Buffer piece);

        /** The whole answer is in (its connection already back in its pool, or closed). */
        void end();

        /** Before or after the head: the backend could not be reached, closed the connection, or sent nonsense. */
        void failed(Throwable cause);
    }

    final BackendPool pool;
    final String uri;
    /** The target's Host and Authorization lines ({@link BackendRequestHead#fixedHeaders}). */
    final byte[] fixedHeaders;
    final String contentType;
    final String accept;
    final ByteBuf body;
    /** The W3C traceparent of the call's span, or null when the request is not traced. */
    final String traceParent;
    final Listener listener;
    /** The connection carrying the call once it has one. */
    BackendConnection connection;
    private boolean done;
    /** Bytes of the answer seen: a reused connection that closes before any is retried once on a fresh one. */
    boolean answerSeen;
    private boolean retriedStale;

    BackendCall(BackendPool pool, String uri, byte[] fixedHeaders, String contentType, String accept, ByteBuf body,
                Listener listener) {
        this(pool, uri, fixedHeaders, contentType, accept, null, body, listener);
    }

    BackendCall(BackendPool pool, String uri, byte[] fixedHeaders, String contentType, String accept,
                String traceParent, ByteBuf body, Listener listener) {
        this.traceParent = traceParent;
        this.pool = pool;
        this.uri = uri;
        this.fixedHeaders = fixedHeaders;
        this.contentType = contentType;
        this.accept = accept;
        this.body = body;
        this.listener = listener;
    }

    /** Takes a pooled connection, opens one, or waits for one (past the pool's limit). */
    void start() {
        pool.acquire(this);
    }

    boolean done() {
        return done;
    }

    /**
     * The caller is done with the call (its client left, a deadline passed, it chose another instance): no more
     * callbacks, and its connection, if it had one, is closed, since what the backend would still send is unknown.
     */
    void abandon() {
        if (done) {
            return;
        }
        done = true;
        BackendConnection carrying = connection;
        connection = null;
        if (carrying != null) {
            carrying.abandoned(this);
        }
    }

    /** Stops reading the answer (the client cannot take more yet). */
    void pause() {
        if (connection != null) {
            connection.autoRead(false);
        }
    }

    void resume() {
        if (connection != null) {
            connection.autoRead(true);
        }
    }

    void head(HttpResponse head) {
        if (!done) {
            answerSeen = true;
            listener.head(head);
        }
    }

    void content(Buffer piece) {
        if (!done) {
            listener.content(piece);
        }
    }

    void ended() {
        if (!done) {
            done = true;
            connection = null;
            listener.end();
        }
    }

    /**
     * The connection failed under the call. A kept-alive connection the backend closed just as the request went out
     * (it shut the connection for being idle; nothing of an answer came) is the pool's race, not the backend's
     * failure: the call goes once more, on another connection.
     */
    void connectionFailed(Throwable cause, boolean reusedConnection) {
        if (done) {
            return;
        }
        connection = null;
        if (reusedConnection && !answerSeen && !retriedStale) {
            retriedStale = true;
            pool.acquire(this);
            return;
        }
        failed(cause);
    }

    void failed(Throwable cause) {
        if (!done) {
            done = true;
            connection = null;
            listener.failed(cause);
        }
    }
}
