package dev.gpufleet.gateway.auth;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FailedAuthLimitsTest {
    private static final long T0 = 1_000_000L;

    @Test
    void anAddressFailsItsAllowanceThenWaitsForTheRefill() {
        FailedAuthLimits limits = new FailedAuthLimits(6); // one failure back every 10 s
        for (int i = 0; i < 6; i++) {
            assertEquals(0, limits.retryAfterSeconds("10.0.0.1", T0));
            limits.failed("10.0.0.1", T0);
        }
        record Case(long atMillis, long retryAfter) {
        }
        for (Case c : List.of(new Case(T0, 10), new Case(T0 + 1_000, 9), new Case(T0 + 9_999, 1),
                new Case(T0 + 10_000, 0))) {
            assertEquals(c.retryAfter(), limits.retryAfterSeconds("10.0.0.1", c.atMillis()), c.toString());
        }
        assertEquals(0, limits.retryAfterSeconds("10.0.0.2", T0), "each address has its own allowance");
    }

    @Test
    void theAddressesHeldAreBounded() {
        FailedAuthLimits limits = new FailedAuthLimits(10, 100);
        for (int i = 0; i < 1_000; i++) {
            limits.failed("10.0." + (i / 256) + "." + (i % 256), T0);
        }
        assertTrue(limits.addresses() <= 100, limits.addresses() + " addresses held");
        limits.failed("10.9.9.9", T0 + 60_000);
        assertTrue(limits.addresses() <= 100);
    }

    @Test
    void anAllowanceBelowOneIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FailedAuthLimits(0));
        assertTrue(e.getMessage().contains("gpufleet.gateway.auth.max-failures-per-minute"), e.getMessage());
    }
}
