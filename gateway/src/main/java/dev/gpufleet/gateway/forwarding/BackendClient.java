package dev.gpufleet.gateway.forwarding;

import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.mutiny.core.Vertx;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;

/** The one pooled HTTP client the gateway sends every backend request through. */
@Singleton
public class BackendClient {
    private final HttpClient client;
    private final long idleTimeoutMillis;
    private final io.vertx.core.Vertx vertx;

    public BackendClient(Vertx vertx, BackendConfig config) {
        HttpClientOptions options = new HttpClientOptions()
                .setConnectTimeout(Math.toIntExact(config.connectTimeout().toMillis()))
                .setKeepAlive(true)
                .setKeepAliveTimeout(Math.toIntExact(config.keepAliveTimeout().toSeconds()))
                .setPipelining(false)
                // the body goes to the client as the backend sent it; decompressing would only cost CPU
                .setDecompressionSupported(false)
                .setName("gpufleet-backends");
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(config.maxConnectionsPerInstance());
        // the core (callback) API: its pipes carry backpressure between the two connections
        this.client = vertx.getDelegate().createHttpClient(options, pool);
        this.idleTimeoutMillis = config.idleTimeout().toMillis();
        this.vertx = vertx.getDelegate();
    }

    public io.vertx.core.Vertx vertx() {
        return vertx;
    }

    public HttpClient client() {
        return client;
    }

    public long idleTimeoutMillis() {
        return idleTimeoutMillis;
    }

    @PreDestroy
    void close() {
        client.close();
    }
}
