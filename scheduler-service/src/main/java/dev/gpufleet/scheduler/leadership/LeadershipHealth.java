package dev.gpufleet.scheduler.leadership;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Says whether this scheduler leads; UP either way, since a follower still consumes and serves reads. */
@Readiness
@ApplicationScoped
public class LeadershipHealth implements HealthCheck {
    private final Leadership leadership;

    public LeadershipHealth(Leadership leadership) {
        this.leadership = leadership;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("scheduler-leadership")
                .up()
                .withData("instance", leadership.instanceId())
                .withData("role", leadership.isLeader() ? "leader" : "follower")
                .build();
    }
}
