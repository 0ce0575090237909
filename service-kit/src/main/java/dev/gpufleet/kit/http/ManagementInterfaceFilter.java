package dev.gpufleet.kit.http;

import dev.gpufleet.kit.auth.MetricsToken;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The management interface ({@code quarkus.management.port}, its own port, never the public one) serves
 * {@code /q/metrics} and takes only the metrics token ({@link MetricsToken}): neither the service token nor an API
 * key opens it, and the metrics token opens nothing else. Health stays on the main port, unauthenticated.
 */
@ApplicationScoped
public class ManagementInterfaceFilter {
    private final MetricsToken token;

    public ManagementInterfaceFilter(MetricsToken token) {
        this.token = token;
    }

    void register(@Observes ManagementInterface management) {
        management.router().route().order(Integer.MIN_VALUE).handler(this::check);
    }

    private void check(RoutingContext ctx) {
        if (token.matchesBearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION))) {
            ctx.next();
            return;
        }
        ctx.response().setStatusCode(401)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader("WWW-Authenticate", "Bearer")
                .end("{\"code\":401,\"reason\":\"Unauthorized\",\"message\":\"The management interface takes the "
                        + "metrics token only: send 'Authorization: Bearer <metrics token>' (GPUFLEET_METRICS_TOKEN)."
                        + "\"}");
    }
}
