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
     * Pooled connections unused for this long are closed. Shorter than the backends' own idle limit (llama-server's
     * HTTP library and vLLM's uvicorn both close a connection after 5 s idle), so that the gateway closes an idle
     * connection before the backend does, rather than sending a request just as the backend closes it.
     */
    @WithDefault("4s")
    Duration keepAliveTimeout();

    /**
     * A backend that has not begun its answer (status and headers) this long after the request left is given up:
     * the client gets a 504 and the instance a failure. Long by default: a CPU backend may think for minutes.
     */
    @WithDefault("5m")
    Duration firstByteTimeout();

}
