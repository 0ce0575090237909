package dev.gpufleet.gateway;

import dev.gpufleet.gateway.auth.Caller;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Tests only: stands in for the authentication filter. A request with {@code x-test-key-id} runs as that key's
 * caller, an admin unless {@code x-test-admin: false}. Without the header {@code Caller.CLUSTER_TOKEN} applies. The
 * forwarded OpenAI routes run ahead of every filter and authenticate themselves, so there tests use real keys.
 */
@ApplicationScoped
public class TestCallers {
    public static final String KEY_ID = "x-test-key-id";
    public static final String ADMIN = "x-test-admin";

    void register(@Observes Filters filters) {
        // after the authentication filter (priority 10 000), before the routes
        filters.register(ctx -> {
            String keyId = ctx.request().getHeader(KEY_ID);
            if (keyId != null) {
                boolean admin = !"false".equals(ctx.request().getHeader(ADMIN));
                ctx.put(Caller.CONTEXT_KEY, new Caller(keyId, "user-of-" + keyId, "user", admin, 0, 0));
            }
            ctx.next();
        }, 5_000);
    }
}
