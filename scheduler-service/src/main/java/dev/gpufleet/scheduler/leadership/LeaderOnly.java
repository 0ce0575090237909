package dev.gpufleet.scheduler.leadership;

import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.inject.Singleton;

/** {@code @Scheduled(skipExecutionIf = LeaderOnly.class)}: the job runs on the leader only. */
@Singleton
public class LeaderOnly implements Scheduled.SkipPredicate {
    private final Leadership leadership;

    public LeaderOnly(Leadership leadership) {
        this.leadership = leadership;
    }

    @Override
    public boolean test(ScheduledExecution execution) {
        return !leadership.isLeader();
    }
}
