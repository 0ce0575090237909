package dev.gpufleet.scheduler.workers;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * How the heartbeat pipe is: UP either way, since the scheduler still serves and places while heartbeats are late;
 * {@code degraded} says that it does not judge workers lost meanwhile.
 */
@Readiness
@ApplicationScoped
public class HeartbeatPipeHealth implements HealthCheck {
    private final HeartbeatPipeMonitor monitor;

    public HeartbeatPipeHealth(HeartbeatPipeMonitor monitor) {
        this.monitor = monitor;
    }

    @Override
    public HealthCheckResponse call() {
        HeartbeatPipe.State state = monitor.state();
        String status = monitor.current() ? state.status().name() : HeartbeatPipe.Status.UNKNOWN.name();
        return HealthCheckResponse.named("heartbeat-pipe")
                .up()
                .withData("status", status)
                .withData("since", String.valueOf(state.since()))
                .withData("detail", state.detail())
                .withData("degraded", monitor.healthySince() == null
                        || monitor.hold() == FleetLiveness.Hold.MASS_SILENCE)
                .withData("verdicts", monitor.hold() == null ? "judged by the leader"
                        : monitor.hold() == FleetLiveness.Hold.NONE ? "as heartbeats say"
                        : monitor.hold() + ": " + monitor.holdDetail())
                .build();
    }
}
