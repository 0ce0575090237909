package dev.gpufleet.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The gateway is ready once its routing table has caught up after the start, and stays ready without Kafka or
 * PostgreSQL: a control-plane outage must not take every gateway out of its Service. Either away is reported as
 * {@code degraded}, with why.
 */
@Readiness
@ApplicationScoped
public class GatewayReadiness implements HealthCheck {
    private final RoutingCatchUp catchUp;
    private final ControlPlaneState controlPlane;

    public GatewayReadiness(RoutingCatchUp catchUp, ControlPlaneState controlPlane) {
        this.catchUp = catchUp;
        this.controlPlane = controlPlane;
    }

    @Override
    public HealthCheckResponse call() {
        boolean kafka = controlPlane.kafkaUp();
        boolean database = controlPlane.databaseUp();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("gateway data plane")
                .status(catchUp.caughtUp())
                .withData("routing-table", catchUp.caughtUp() ? "caught up" : "loading: " + catchUp.behind())
                .withData("kafka", kafka ? "reachable" : "away: " + controlPlane.kafkaProblem())
                .withData("postgresql", database ? "reachable" : "away: " + controlPlane.databaseProblem())
                .withData("degraded", !kafka || !database);
        return response.build();
    }
}
