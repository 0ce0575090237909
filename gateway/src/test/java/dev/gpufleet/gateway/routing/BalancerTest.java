package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.InstanceState;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BalancerTest {
    private static final Clock CLOCK = Clock.fixed(Events.T0, ZoneOffset.UTC);
    /** Admission out of the way: these tests are about the choice. */
    static final AdmissionConfig UNLIMITED = new TestAdmission(Integer.MAX_VALUE, java.util.Map.of(), 0,
            Duration.ofSeconds(1));

    private static RoutingConfig config(int affinityBlocks) {
        return new RoutingConfig() {
            public int affinityBlockChars() {
                return 512;
            }

            public int affinityBlocks() {
                return affinityBlocks;
            }

            public int affinitySlack() {
                return 2;
            }

            public int failuresToSkip() {
                return 2;
            }

            public Duration skipFor() {
                return Duration.ofMinutes(1);
            }
        };
    }

    /** Model "solo" with one running instance (and one still starting), model "pair" with two running. */
    private static RoutingTable table() {
        RoutingTable table = new RoutingTable();
        table.apply(Events.modelChanged("m-solo", "solo", 1, 1));
        table.apply(Events.modelChanged("m-pair", "pair", 1, 1));
        table.apply(Events.instanceChanged("solo-1", "m-solo", InstanceState.RUNNING, "127.0.0.1:9001", 1));
        table.apply(Events.instanceChanged("solo-2", "m-solo", InstanceState.STARTING, null, 1));
        table.apply(Events.instanceChanged("pair-1", "m-pair", InstanceState.RUNNING, "127.0.0.1:9002", 1));
        table.apply(Events.instanceChanged("pair-2", "m-pair", InstanceState.RUNNING, "127.0.0.1:9003", 1));
        return table;
    }

    @Test
    void theAffinityKeyMattersOnlyWithMoreThanOneInstanceToChooseAmong() {
        Balancer balancer = new Balancer(table(), config(2), UNLIMITED, CLOCK);
        assertFalse(balancer.affinityMatters("solo"), "one running instance: the key cannot change the choice");
        assertTrue(balancer.affinityMatters("pair"));
        assertFalse(balancer.affinityMatters("unknown"));
        assertFalse(new Balancer(table(), config(0), UNLIMITED, CLOCK).affinityMatters("pair"), "affinity turned off");
    }

    @Test
    void aLoneInstanceIsCountedWhileBusyAndTakenEvenWhenSkippedButNotWhenAlreadyTried() {
        Balancer balancer = new Balancer(table(), config(2), UNLIMITED, CLOCK);
        Balancer.Lease first = balancer.acquire("solo", Set.of(), OptionalLong.of(42)).orElseThrow();
        Balancer.Lease second = balancer.acquire("solo", Set.of()).orElseThrow();
        assertEquals("solo-1", first.instance().instanceId());
        assertEquals("solo-1", second.instance().instanceId());
        assertEquals(2, balancer.outstanding("solo-1"));
        first.release();
        first.failed(); // the first call counts
        assertEquals(1, balancer.outstanding("solo-1"));
        second.failed();
        assertEquals(0, balancer.outstanding("solo-1"));
        assertEquals(1, balancer.health("solo-1").consecutiveFailures());

        balancer.acquire("solo", Set.of()).orElseThrow().failed();
        assertTrue(balancer.health("solo-1").skippedAt(CLOCK.instant()), "two failures in a row skip it");
        assertEquals(Optional.of("solo-1"), balancer.acquire("solo", Set.of()).map(l -> l.instance().instanceId()),
                "skipped, but no other instance is left");
        assertEquals(Optional.empty(), balancer.acquire("solo", Set.of("solo-1")), "already tried");
        assertEquals(Optional.empty(), balancer.acquire("unknown", Set.of()));
    }

    @Test
    void twoInstancesTakeTurnsAndAFailingOneIsSkipped() {
        Balancer balancer = new Balancer(table(), config(2), UNLIMITED, CLOCK);
        Balancer.Lease a = balancer.acquire("pair", Set.of()).orElseThrow();
        Balancer.Lease b = balancer.acquire("pair", Set.of()).orElseThrow();
        assertEquals(Set.of("pair-1", "pair-2"), Set.of(a.instance().instanceId(), b.instance().instanceId()),
                "the one with fewer requests in flight takes the next");
        a.release();
        b.release();
        for (int i = 0; i < 2; i++) {
            balancer.acquire("pair", Set.of("pair-2")).orElseThrow().failed();
        }
        for (int i = 0; i < 3; i++) {
            Balancer.Lease lease = balancer.acquire("pair", Set.of()).orElseThrow();
            assertEquals("pair-2", lease.instance().instanceId());
            lease.release();
        }
        assertEquals(Optional.empty(), balancer.acquire("pair", Set.of("pair-1", "pair-2")), "both already tried");
    }
}
