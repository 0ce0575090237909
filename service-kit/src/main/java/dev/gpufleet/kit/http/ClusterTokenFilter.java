package dev.gpufleet.kit.http;

import dev.gpufleet.kit.auth.ClusterToken;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Every route but {@code /q/health*} needs {@code Authorization: Bearer <cluster token>}. This guards the
 * internal service APIs, metrics and OpenAPI documents; user API keys on the gateway come on top of it.
 * The token is compared in constant time and never logged.
 */
@ApplicationScoped
public class ClusterTokenFilter {
    /** Runs before Quarkus' own handlers, including the /q endpoints. */
    private static final int PRIORITY = 10_000;

    private final ClusterToken token;

    public ClusterTokenFilter(ClusterToken token) {
        this.token = token;
    }

    void register(@Observes Filters filters) {
        filters.register(this::check, PRIORITY);
    }

    private void check(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (isPublic(path) || token.matchesBearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            ctx.next();
            return;
        }
        boolean openAi = path.startsWith("/v1/") || path.equals("/v1");
        String body = openAi
                ? "{\"error\":{\"message\":\"Missing or invalid API key: send 'Authorization: Bearer <key>'.\","
                  + "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"
                : "{\"code\":401,\"reason\":\"Unauthorized\",\"message\":"
                  + "\"Missing or invalid bearer token: send 'Authorization: Bearer <cluster token>'.\"}";
        ctx.response().setStatusCode(401)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader("WWW-Authenticate", "Bearer")
                .end(body);
    }

    static boolean isPublic(String path) {
        return path.equals("/q/health") || path.startsWith("/q/health/");
    }
}
