package dev.gpufleet.scheduler.leadership;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The leader's lease on its own clock, and the order of the three leadership durations. */
class LeaseTest {
    private static final long S = 1_000_000_000L;

    @Test
    void holdsForTheLeaseAfterTheStartOfTheLastConfirmedRoundTrip() {
        Lease lease = new Lease(3 * S);
        assertEquals(-1, lease.epochAt(0), "never granted");

        lease.granted(7, 10 * S);
        assertEquals(7, lease.epochAt(10 * S));
        assertEquals(7, lease.epochAt(13 * S - 1));
        assertEquals(-1, lease.epochAt(13 * S), "run out three seconds after the takeover was sent");

        lease.renewed(7, 12 * S);
        assertEquals(7, lease.epochAt(14 * S));
        assertEquals(1 * S, lease.remainingAt(14 * S));
        lease.renewed(7, 11 * S); // an older round trip answered late
        assertEquals(1 * S, lease.remainingAt(14 * S), "a late, older confirmation does not shorten it");
        lease.renewed(6, 14 * S);
        assertEquals(-1, lease.epochAt(15 * S), "another epoch's renewal does not extend this one");

        lease.granted(8, 20 * S);
        lease.ended();
        assertEquals(-1, lease.epochAt(20 * S));
        assertEquals(0, lease.remainingAt(20 * S));
    }

    @Test
    void worksAcrossTheWrapOfTheMonotonicClock() {
        Lease lease = new Lease(3 * S);
        long start = Long.MAX_VALUE - S;
        lease.granted(1, start);
        assertEquals(1, lease.epochAt(start + 2 * S), "two seconds later, past the wrap");
        assertEquals(-1, lease.epochAt(start + 3 * S));
    }

    @ParameterizedTest(name = "poll {0}, lease {1}, takeover {2}: {3}")
    @CsvSource({
            "PT1S, PT3S, PT5S, ok",
            "PT0.5S, PT1S, PT1.5S, ok",
            "PT0S, PT3S, PT5S, leader-poll-interval",
            "PT1S, PT1.5S, PT5S, leader-lease",
            "PT1S, PT3S, PT3S, leader-takeover-delay",
            "PT1S, PT3S, PT3.5S, leader-takeover-delay"})
    void timingsKeepTheirOrder(Duration poll, Duration lease, Duration takeover, String outcome) {
        if (outcome.equals("ok")) {
            assertEquals(lease, new LeaderTimings(poll, lease, takeover).lease());
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LeaderTimings(poll, lease, takeover));
        assertTrue(e.getMessage().startsWith("gpufleet.scheduler." + outcome), e.getMessage());
    }
}
