package dev.gpufleet.gateway.usage;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UsageAggregateTest {
    private static final LocalDate DAY = LocalDate.of(2026, 5, 1);

    @Test
    void pastItsBoundItStillAddsToTheRowsItHoldsAndRefusesOnlyNewOnes() {
        UsageAggregate aggregate = new UsageAggregate(2);
        UsageKey a = new UsageKey("k-a", "m", DAY);
        UsageKey b = new UsageKey("k-b", "m", DAY);
        UsageKey c = new UsageKey("k-c", "m", DAY);
        assertTrue(aggregate.add(a, new UsageCounts(1, 2, 1)));
        assertTrue(aggregate.add(b, new UsageCounts(3, 4, 1)));
        for (int i = 0; i < 1_000; i++) {
            assertTrue(aggregate.add(a, new UsageCounts(1, 2, 1)), "a held row always takes more");
        }
        assertFalse(aggregate.add(c, new UsageCounts(5, 5, 1)), "a new row past the bound");
        assertEquals(Map.of(a, new UsageCounts(1_001, 2_002, 1_001), b, new UsageCounts(3, 4, 1)),
                aggregate.drain());
        assertTrue(aggregate.add(c, new UsageCounts(5, 5, 1)), "drained: room again");
    }
}
