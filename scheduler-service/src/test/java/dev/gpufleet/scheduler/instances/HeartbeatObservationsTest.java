package dev.gpufleet.scheduler.instances;

import dev.gpufleet.events.InstanceObserved;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.ObservedInstance;
import dev.gpufleet.scheduler.instances.HeartbeatObservations.Apply;
import dev.gpufleet.scheduler.instances.HeartbeatObservations.Held;
import dev.gpufleet.scheduler.instances.HeartbeatObservations.Skip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HeartbeatObservationsTest {
    private static final UUID ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

    @Test
    void onlyObservationsThePreviousHeartbeatDidNotListAreLookedUp() {
        ObservedInstance runningAt7 = entry("a", InstanceState.RUNNING, 7L);
        ObservedInstance errorAt9 = entry("b", InstanceState.ERROR, 9L);
        ObservedInstance startingAt3 = entry("c", InstanceState.STARTING, 3L);
        ObservedInstance stateOnly = new ObservedInstance("d", InstanceState.RUNNING);

        List<ObservedInstance> fresh = HeartbeatObservations.newSince(
                List.of(runningAt7, entry("b", InstanceState.RUNNING, 8L), new ObservedInstance("c",
                        InstanceState.STARTING)),
                List.of(runningAt7, errorAt9, startingAt3, stateOnly));

        // a: listed alike before; b: a newer observation; c: listed before without one; d: nothing to apply
        assertEquals(List.of(errorAt9, startingAt3), fresh);
        assertEquals(List.of(), HeartbeatObservations.newSince(List.of(runningAt7), List.of(runningAt7)));
        assertEquals(List.of(runningAt7), HeartbeatObservations.newSince(List.of(), List.of(runningAt7)));
    }

    /** Held: on worker w-1, observed up to revision 5, at restart 1. The heartbeat is from w-1. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // case                                        | state    | revision | restart | port  | applied | why skipped (start of)
            "a newer observation: applied                  | ERROR    | 6        | 1       | -     | true    | -",
            "RUNNING with its port: applied                | RUNNING  | 9        | 1       | 40001 | true    | -",
            "the observation already held                  | RUNNING  | 5        | 1       | 40001 | false   | revision 5 is not newer than 5",
            "an older one                                  | STARTING | 4        | 1       | 40001 | false   | revision 4 is not newer than 5",
            "about an earlier run                          | ERROR    | 6        | 0       | -     | false   | it is about run 0",
            "RUNNING without a port can never apply        | RUNNING  | 6        | 1       | -     | false   | InstanceObserved in state RUNNING needs a port",
            "a state only the scheduler gives              | PENDING  | 6        | 1       | -     | false   | InstanceObserved state must be one of",
    })
    void aRepeatedObservationAppliesWhenTheEventWouldHave(String ignored, InstanceState state, long revision,
                                                         int restartCount, Integer port, boolean applied,
                                                         String why) {
        ObservedInstance entry = new ObservedInstance(ID.toString(), state, revision, port, port == null ? null : 77L,
                null, restartCount, null, null);

        HeartbeatObservations.Decision decision = HeartbeatObservations.decide("w-1", entry,
                new Held(ID, "m-1", "w-1", 5L, 1));

        if (applied) {
            assertEquals(new Apply(ID, "m-1", revision, new InstanceObserved(ID.toString(), "w-1", state, null, port,
                    port == null ? null : 77L, null, restartCount)), decision);
        } else {
            Skip skip = assertInstanceOf(Skip.class, decision);
            assertTrue(skip.why().startsWith(why), skip.why());
        }
    }

    @ParameterizedTest(name = "held {0} -> skipped: {1}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "on another worker | reported by worker w-1, but the instance is on w-2",
            "not placed        | the instance is not placed",
            "never observed    | -",
    })
    void whereTheInstanceIs(String held, String why) {
        Held instance = switch (held.trim()) {
            case "on another worker" -> new Held(ID, "m-1", "w-2", 5L, 0);
            case "not placed" -> new Held(ID, "m-1", null, null, 0);
            default -> new Held(ID, "m-1", "w-1", null, 0);
        };
        HeartbeatObservations.Decision decision = HeartbeatObservations.decide("w-1",
                entry(ID.toString(), InstanceState.ERROR, 1L), instance);
        if (why == null) {
            assertInstanceOf(Apply.class, decision, "the first observation of an instance applies");
        } else {
            assertEquals(new Skip(why), decision);
        }
    }

    @Test
    void anInstanceNotHeldOrListedWithoutAnObservationIsSkipped() {
        assertEquals(new Skip("no such instance (deleted?)"),
                HeartbeatObservations.decide("w-1", entry(ID.toString(), InstanceState.ERROR, 1L), null));
        assertEquals(new Skip("listed without an observation"), HeartbeatObservations.decide("w-1",
                new ObservedInstance(ID.toString(), InstanceState.ERROR), new Held(ID, "m-1", "w-1", null, 0)));
    }

    private static ObservedInstance entry(String id, InstanceState state, Long revision) {
        return new ObservedInstance(id, state, revision, null, null, null, 0, null, null);
    }
}
