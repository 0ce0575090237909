package dev.gpufleet.bench;

import dev.gpufleet.worker.proxy.BackendKeyCheck;
import dev.gpufleet.worker.proxy.BackendProxies;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * The worker agent's authenticating proxy alone, in its own JVM, for bench/backend-proxy: on 127.0.0.1:PORT in front
 * of 127.0.0.1:BACKEND_PORT, accepting KEY. Vert.x with its defaults, as Quarkus gives the agent. Prints
 * "listening PORT".
 *
 * <p>Args: PORT BACKEND_PORT KEY
 */
public final class BackendProxyProcess {
    private BackendProxyProcess() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        BackendProxies proxies = new BackendProxies(Vertx.vertx());
        proxies.open("bench", "127.0.0.1", port, Integer.parseInt(args[1]), new BackendKeyCheck(List.of(args[2])));
        System.out.println("listening " + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
