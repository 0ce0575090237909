package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.InstanceChanged;
import dev.gpufleet.events.InstanceState;
import dev.gpufleet.events.LaunchPlan;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The balancer's admission: no instance past its slots, a bounded line per model, served first come first. */
class AdmissionTest {
    private static final Clock CLOCK = Clock.fixed(Events.T0, ZoneOffset.UTC);
    private static final RoutingConfig ROUTING = new RoutingConfig() {
        public int affinityBlockChars() {
            return 512;
        }

        public int affinityBlocks() {
            return 2;
        }

        public int affinitySlack() {
            return 2;
        }

        public int failuresToSkip() {
            return 3;
        }

        public Duration skipFor() {
            return Duration.ofMinutes(1);
        }
    };

    private final RoutingTable table = new RoutingTable();

    /** A RUNNING llama-box instance started with {@code -np slots}. */
    private void instance(String id, String modelId, int slots, long revision) {
        LaunchPlan plan = new LaunchPlan("llama-box", null, null, List.of("-np", String.valueOf(slots)), Map.of(),
                List.of());
        table.apply(Events.envelope(new InstanceChanged(id, id, modelId, "m", "w-1", "node", List.of(0), List.of(),
                null, InstanceState.RUNNING, null, "127.0.0.1:" + (9000 + revision), 0, plan), revision, revision));
    }

    private Balancer balancer(int queuePerSlot) {
        return new Balancer(table, ROUTING, new TestAdmission(64, Map.of(), queuePerSlot, Duration.ofSeconds(5)),
                CLOCK);
    }

    /** A waiter that keeps what it was given. */
    private static final class Waiting implements Balancer.Waiter {
        final List<Balancer.Lease> leases = new ArrayList<>();

        @Override
        public void admitted(Balancer.Lease lease) {
            leases.add(lease);
        }
    }

    private static Balancer.Lease lease(Balancer.Admission admission) {
        return assertInstanceOf(Balancer.Lease.class, admission);
    }

    @Test
    void anInstanceTakesItsSlotsThenTheLineFillsThenRequestsAreRefused() {
        table.apply(Events.modelChanged("m-1", "solo", 1, 1));
        instance("solo-1", "m-1", 2, 1);
        Balancer balancer = balancer(1);

        Balancer.Lease first = lease(balancer.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
        lease(balancer.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
        assertEquals(2, balancer.outstanding("solo-1"));
        Waiting third = new Waiting();
        Waiting fourth = new Waiting();
        assertSame(Balancer.Refusal.QUEUED, balancer.admit("solo", Set.of(), OptionalLong.empty(), third));
        assertSame(Balancer.Refusal.QUEUED, balancer.admit("solo", Set.of(), OptionalLong.empty(), fourth));
        assertSame(Balancer.Refusal.QUEUE_FULL, balancer.admit("solo", Set.of(), OptionalLong.empty(),
                new Waiting()), "the line holds queue-per-slot (1) times the slots (2)");
        assertTrue(balancer.acquire("solo", Set.of()).isEmpty(), "without a waiter nothing queues");
        assertEquals(2, balancer.waiting());

        first.release();
        assertEquals(1, third.leases.size(), "the first in line gets the freed slot");
        assertEquals("solo-1", third.leases.get(0).instance().instanceId());
        assertEquals(0, fourth.leases.size());
        assertEquals(2, balancer.outstanding("solo-1"), "never more in flight than the slots");
        assertEquals(1, balancer.waiting());

        third.leases.get(0).failed(); // a failure frees the slot as well
        assertEquals(1, fourth.leases.size());
        assertEquals(0, balancer.waiting());
    }

    @Test
    void twoGatewaysEachTakeHalfOfAnInstanceSoTheBackendNeverGetsMoreThanItsSlots() {
        table.apply(Events.modelChanged("m-1", "solo", 1, 1));
        instance("solo-1", "m-1", 4, 1);
        AdmissionConfig twoGateways = new TestAdmission(64, Map.of(), 2, 1, Duration.ofSeconds(5));
        Balancer gatewayA = new Balancer(table, ROUTING, twoGateways, CLOCK);
        Balancer gatewayB = new Balancer(table, ROUTING, twoGateways, CLOCK);
        for (Balancer gateway : List.of(gatewayA, gatewayB)) {
            lease(gateway.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
            lease(gateway.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
            assertSame(Balancer.Refusal.QUEUED, gateway.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()),
                    "a third request on one gateway waits: it has 2 of the 4 slots");
            assertSame(Balancer.Refusal.QUEUED, gateway.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
            assertSame(Balancer.Refusal.QUEUE_FULL, gateway.admit("solo", Set.of(), OptionalLong.empty(),
                    new Waiting()), "the line is queue-per-slot (1) times this gateway's share (2)");
        }
        assertEquals(4, gatewayA.outstanding("solo-1") + gatewayB.outstanding("solo-1"),
                "together no more in flight than the backend's 4 slots");
    }

    @Test
    void aWaiterThatGivesUpLeavesTheLineAndAFreedSlotGoesToNoOne() {
        table.apply(Events.modelChanged("m-1", "solo", 1, 1));
        instance("solo-1", "m-1", 1, 1);
        Balancer balancer = balancer(2);
        Balancer.Lease held = lease(balancer.admit("solo", Set.of(), OptionalLong.empty(), new Waiting()));
        Waiting gaveUp = new Waiting();
        assertSame(Balancer.Refusal.QUEUED, balancer.admit("solo", Set.of(), OptionalLong.empty(), gaveUp));

        assertTrue(balancer.cancel("solo", gaveUp));
        assertFalse(balancer.cancel("solo", gaveUp), "not in line any more");
        held.release();
        assertEquals(List.of(), gaveUp.leases);
        assertEquals(0, balancer.outstanding("solo-1"));
    }

    @Test
    void eachInstanceIsFilledToItsOwnSlotsOnly() {
        table.apply(Events.modelChanged("m-2", "pair", 1, 1));
        instance("pair-1", "m-2", 1, 1);
        instance("pair-2", "m-2", 3, 2);
        Balancer balancer = balancer(0);
        for (int i = 0; i < 4; i++) {
            lease(balancer.admit("pair", Set.of(), OptionalLong.empty(), new Waiting()));
        }
        assertEquals(1, balancer.outstanding("pair-1"));
        assertEquals(3, balancer.outstanding("pair-2"));
        assertSame(Balancer.Refusal.QUEUE_FULL, balancer.admit("pair", Set.of(), OptionalLong.empty(),
                new Waiting()), "queue-per-slot 0: no line at all");
    }

    @Test
    void aPreferredInstanceThatIsFullGivesWayToOneWithRoom() {
        table.apply(Events.modelChanged("m-2", "pair", 1, 1));
        instance("pair-1", "m-2", 1, 1);
        instance("pair-2", "m-2", 4, 2);
        Balancer balancer = balancer(0);
        OptionalLong affinity = OptionalLong.of(42);
        String preferred = lease(balancer.admit("pair", Set.of(), affinity, null)).instance().instanceId();
        for (int i = 0; i < 3; i++) {
            lease(balancer.admit("pair", Set.of(), affinity, null));
        }
        assertEquals(4, balancer.outstanding("pair-1") + balancer.outstanding("pair-2"));
        assertTrue(balancer.outstanding("pair-1") <= 1, "pair-1 has one slot, preferred was " + preferred);
    }

    @Test
    void aRetryWaitsForAnInstanceItHasNotTriedAndNoInstanceAtAllIsNoLine() {
        table.apply(Events.modelChanged("m-2", "pair", 1, 1));
        instance("pair-1", "m-2", 1, 1);
        instance("pair-2", "m-2", 1, 2);
        Balancer balancer = balancer(2);
        Balancer.Lease a = lease(balancer.admit("pair", Set.of(), OptionalLong.empty(), null));
        Balancer.Lease b = lease(balancer.admit("pair", Set.of(), OptionalLong.empty(), null));
        Balancer.Lease onOne = a.instance().instanceId().equals("pair-1") ? a : b;
        Balancer.Lease onTwo = onOne == a ? b : a;
        Waiting retry = new Waiting();
        assertSame(Balancer.Refusal.QUEUED, balancer.admit("pair", Set.of("pair-2"), OptionalLong.empty(), retry));
        onTwo.release();
        assertEquals(List.of(), retry.leases, "the freed pair-2 was tried already");
        onOne.release();
        assertEquals("pair-1", retry.leases.get(0).instance().instanceId());

        assertSame(Balancer.Refusal.NO_INSTANCE, balancer.admit("pair", Set.of("pair-1", "pair-2"),
                OptionalLong.empty(), new Waiting()), "every instance tried: nothing to wait for");
        assertSame(Balancer.Refusal.NO_INSTANCE, balancer.admit("nobody", Set.of(), OptionalLong.empty(),
                new Waiting()));
    }

    @Test
    void anInstanceThatBecomesRoutableTakesTheLine() {
        table.apply(Events.modelChanged("m-1", "solo", 1, 1));
        instance("solo-1", "m-1", 1, 1);
        Balancer balancer = balancer(4);
        lease(balancer.admit("solo", Set.of(), OptionalLong.empty(), null));
        Waiting first = new Waiting();
        Waiting second = new Waiting();
        balancer.admit("solo", Set.of(), OptionalLong.empty(), first);
        balancer.admit("solo", Set.of(), OptionalLong.empty(), second);

        instance("solo-2", "m-1", 1, 2);
        balancer.routableChanged();
        assertEquals("solo-2", first.leases.get(0).instance().instanceId());
        assertEquals(List.of(), second.leases, "solo-2 has one slot");
        assertEquals(1, balancer.waiting());
    }
}
