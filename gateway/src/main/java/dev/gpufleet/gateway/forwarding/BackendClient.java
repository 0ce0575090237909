package dev.gpufleet.gateway.forwarding;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pooled HTTP clients the gateway sends every backend request through: one per event loop. A pooled
 * connection belongs to the event loop that opened it; handed to a request on another loop, every read and write
 * of that exchange hops between the two threads. With a client (and so a pool) per loop, a request's backend
 * connection lives on the request's own loop. {@code max-connections-per-instance} is shared out among the loops.
 */
@Singleton
public class BackendClient {
    private final io.vertx.core.Vertx vertx;
    private final HttpClientOptions options;
    private final PoolOptions pool;
    private final long idleTimeoutMillis;
    /** Keyed by event loop thread; a fixed, small set. */
    private final Map<Thread, HttpClient> perLoop = new ConcurrentHashMap<>();
    /** For a caller that is not on an event loop (none in the request path; a safe default). */
    private final HttpClient shared;

    public BackendClient(Vertx vertx, BackendConfig config) {
        this.options = new HttpClientOptions()
                .setConnectTimeout(Math.toIntExact(config.connectTimeout().toMillis()))
                .setKeepAlive(true)
                .setKeepAliveTimeout(Math.toIntExact(config.keepAliveTimeout().toSeconds()))
                .setPipelining(false)
                // the body goes to the client as the backend sent it; decompressing would only cost CPU
                .setDecompressionSupported(false)
                .setName("gpufleet-backends");
        this.vertx = vertx.getDelegate();
        // counted rather than configured: Quarkus's default (quarkus.vertx.event-loops-pool-size) depends on its
        // version, the CPUs and the heap
        int loops = Math.max(1, eventLoops(this.vertx));
        int perLoopMax = Math.max(1, (config.maxConnectionsPerInstance() + loops - 1) / loops);
        this.pool = new PoolOptions().setHttp1MaxSize(perLoopMax);
        // the core (callback) API: its pipes carry backpressure between the two connections
        this.shared = this.vertx.createHttpClient(options, new PoolOptions()
                .setHttp1MaxSize(config.maxConnectionsPerInstance()));
        this.idleTimeoutMillis = config.idleTimeout().toMillis();
    }

    private static int eventLoops(io.vertx.core.Vertx vertx) {
        int loops = 0;
        for (EventExecutor ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        return loops;
    }

    public io.vertx.core.Vertx vertx() {
        return vertx;
    }

    /** The client of the calling event loop. */
    public HttpClient client() {
        Context context = io.vertx.core.Vertx.currentContext();
        if (context == null || !context.isEventLoopContext() || !io.vertx.core.Context.isOnEventLoopThread()) {
            return shared;
        }
        return perLoop.computeIfAbsent(Thread.currentThread(), thread -> vertx.createHttpClient(options, pool));
    }

    public long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }

    @PreDestroy
    void close() {
        perLoop.values().forEach(HttpClient::close);
        shared.close();
    }
}
