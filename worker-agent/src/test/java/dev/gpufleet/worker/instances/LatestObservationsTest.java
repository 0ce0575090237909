package dev.gpufleet.worker.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.events.ResourceClaim;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LatestObservationsTest {
    private final MovableClock clock = new MovableClock();
    private final LatestObservations latest = new LatestObservations(clock);

    @Test
    void eachListedInstanceRepeatsTheLatestObservationSentAboutIt() {
        latest.sent(new InstanceObserved("a", "w", InstanceState.STARTING, null, 40001, 11L, null, 0), 7);
        latest.sent(new InstanceObserved("a", "w", InstanceState.RUNNING, null, 40001, 11L, "warning: x", 0,
                new ResourceClaim(1L << 30, Map.of(0, 5L << 30))), 9);
        latest.sent(new InstanceObserved("b", "w", InstanceState.ERROR, null, null, null, "exited with code 1", 2), 8);

        assertEquals(List.of(
                        new ObservedInstance("a", InstanceState.RUNNING, 9L, 40001, 11L, "warning: x", 0, null,
                                new ResourceClaim(1L << 30, Map.of(0, 5L << 30))),
                        new ObservedInstance("b", InstanceState.ERROR, 8L, null, null, "exited with code 1", 2, null,
                                null)),
                latest.listing(List.of(new ObservedInstance("a", InstanceState.RUNNING),
                        new ObservedInstance("b", InstanceState.ERROR))));
    }

    @Test
    void anInstanceWhoseLatestObservationSaysAnotherStateIsListedWithItsStateOnly() {
        latest.sent(new InstanceObserved("a", "w", InstanceState.RUNNING, null, 40001, 11L, null, 0), 9);

        // the supervisor already lists it as failed; the ERROR observation has not been sent yet
        assertEquals(List.of(new ObservedInstance("a", InstanceState.ERROR), new ObservedInstance("c",
                        InstanceState.STARTING)),
                latest.listing(List.of(new ObservedInstance("a", InstanceState.ERROR),
                        new ObservedInstance("c", InstanceState.STARTING))));
    }

    @Test
    void instancesNoLongerListedAreForgottenAfterAWhileNotAtOnce() {
        latest.sent(new InstanceObserved("gone", "w", InstanceState.RUNNING, null, 40001, 11L, null, 0), 3);
        latest.listing(List.of());
        clock.advance(LatestObservations.KEEP_UNLISTED.minusSeconds(1));
        ObservedInstance listedAgain = latest.listing(List.of(new ObservedInstance("gone", InstanceState.RUNNING)))
                .get(0);
        assertEquals(3L, listedAgain.revision(), "sent before the supervisor listed it: still repeated");

        clock.advance(LatestObservations.KEEP_UNLISTED.plusSeconds(1));
        latest.listing(List.of());
        assertEquals(List.of(new ObservedInstance("gone", InstanceState.RUNNING)),
                latest.listing(List.of(new ObservedInstance("gone", InstanceState.RUNNING))));
    }

    private static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
