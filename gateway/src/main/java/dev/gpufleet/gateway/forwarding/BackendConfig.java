package dev.gpufleet.gateway.forwarding;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** How the gateway talks to backends; each setting has an environment form, e.g. {@code GPUFLEET_GATEWAY_BACKEND_CONNECT_TIMEOUT}. */
@ConfigMapping(prefix = "gpufleet.gateway.backend")
public interface BackendConfig {

    /** A backend that does not accept the connection within this is unreachable (the request moves on). */
    @WithDefault("3s")
    Duration connectTimeout();

    /**
     * An answer that has begun and then comes to a halt (nothing from the backend for this long) is cut off: a
     * stream ends with an error event, a plain answer with a reset. Before the answer begins,
     * {@link #firstByteTimeout} applies instead. There is no overall limit: a stream may run as long as tokens
     * keep coming. 0: no idle limit.
     */
    @WithDefault("10m")
    Duration idleTimeout();

    /** Open connections per backend instance; each request in flight holds one (no pipelining). */
    @WithDefault("256")
    int maxConnectionsPerInstance();

    /**
     * Pooled connections unused for this long are closed. A backend may close an idle connection sooner
     * (llama-server's HTTP library and vLLM's uvicorn after 5 s): the pool drops it when the backend's close arrives,
     * and a request that goes out on it just as it closes, with nothing answered, is sent once more on a fresh
     * connection. Longer than theirs so that a backend that keeps connections longer is not reconnected needlessly.
     */
    @WithDefault("60s")
    Duration keepAliveTimeout();

    /**
     * A backend that has not begun its answer (status and headers) this long after the request left is given up:
     * the client gets a 504 and the instance a failure. Long by default: a CPU backend may think for minutes.
     */
    @WithDefault("5m")
    Duration firstByteTimeout();

}
