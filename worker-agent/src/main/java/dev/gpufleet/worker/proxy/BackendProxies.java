package dev.gpufleet.worker.proxy;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The authenticating proxies of this agent's backends, one per instance whose backend cannot check a key (see
 * {@link BackendProxy}). They share one Vert.x instance (Quarkus' own in the agent; one made here, and closed with
 * this, when none is given) and one HTTP client with a connection pool to loopback.
 */
public final class BackendProxies implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(BackendProxies.class);
    private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
    /** Concurrent requests to one backend before later ones wait for a connection (streams hold theirs). */
    static final int CONNECTIONS_PER_BACKEND = 256;

    private final boolean ownVertx;
    private HttpClient client;
    private final Map<String, BackendProxy> open = new ConcurrentHashMap<>();

    /** @param vertx the Vert.x instance to run on; null makes one on first use */
    public BackendProxies(Vertx vertx) {
        this.vertx = vertx;
        this.ownVertx = vertx == null;
    }

    private Vertx vertx;

    private synchronized HttpClient client() {
        if (client == null) {
            if (vertx == null) {
                vertx = Vertx.vertx();
            }
            client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(5_000)
                    .setTryUseCompression(false).setDecompressionSupported(false),
                    new PoolOptions().setHttp1MaxSize(CONNECTIONS_PER_BACKEND));
        }
        return client;
    }

    /**
     * Opens the instance's proxy on {@code host:port} in front of {@code 127.0.0.1:backendPort}, replacing any it had,
     * and waits until it listens.
     *
     * @throws IllegalStateException when the address cannot be bound, with the reason
     */
    public void open(String instanceId, String host, int port, int backendPort, BackendKeyCheck keys) {
        close(instanceId);
        HttpClient http = client();
        try {
            BackendProxy proxy = BackendProxy.open(vertx, http, host, port, backendPort, keys)
                    .toCompletionStage().toCompletableFuture().get(BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            open.put(instanceId, proxy);
            LOG.debugf("Authenticating proxy of instance %s listens on %s:%d for 127.0.0.1:%d", instanceId, host, port,
                    backendPort);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " for the backend's "
                    + "authenticating proxy: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the backend's authenticating proxy did not listen on " + host + ":"
                    + port + " within " + BIND_TIMEOUT.toSeconds() + "s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the backend's authenticating proxy", e);
        }
    }

    /** Closes the instance's proxy, if it has one (requests in flight are cut). */
    public void close(String instanceId) {
        BackendProxy proxy = open.remove(instanceId);
        if (proxy != null) {
            proxy.close();
        }
    }

    public boolean isOpen(String instanceId) {
        return open.containsKey(instanceId);
    }

    @Override
    public synchronized void close() {
        open.keySet().forEach(this::close);
        if (client != null) {
            client.close();
            client = null;
        }
        if (ownVertx && vertx != null) {
            vertx.close();
            vertx = null;
        }
    }
}
