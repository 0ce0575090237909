package dev.gpufleet.gateway.security;

import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/** Tests only: holds the gateway's main Vert.x router, so a test can list every route registered on it. */
@ApplicationScoped
public class RouterCapture {
    static volatile Router router;

    void capture(@Observes Router main) {
        router = main;
    }
}
