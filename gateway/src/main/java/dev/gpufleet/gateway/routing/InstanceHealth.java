package dev.gpufleet.gateway.routing;

import java.time.Duration;
import java.time.Instant;

/**
 * An instance's recent record with the gateway: consecutive failures (no connection, a 5xx or a timeout before
 * the first byte, a broken answer) and, once they reach {@code failuresToSkip}, until when it is skipped. After
 * that it is tried again; one more failure skips it again at once, one success clears it.
 */
public record InstanceHealth(int consecutiveFailures, Instant skippedUntil) {
    public static final InstanceHealth GOOD = new InstanceHealth(0, null);

    public record Policy(int failuresToSkip, Duration skipFor) {
    }

    public InstanceHealth afterFailure(Instant now, Policy policy) {
        int failures = consecutiveFailures + 1;
        return failures >= policy.failuresToSkip()
                ? new InstanceHealth(failures, now.plus(policy.skipFor()))
                : new InstanceHealth(failures, skippedUntil);
    }

    public InstanceHealth afterSuccess() {
        return GOOD;
    }

    public boolean skippedAt(Instant now) {
        return skippedUntil != null && now.isBefore(skippedUntil);
    }
}
