package dev.gpufleet.gateway.auth;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RateLimitsTest {
    private static Caller key(String id, int requestsPerMinute, long tokensPerMinute) {
        return new Caller(id, "u-" + id, "user-" + id, false, requestsPerMinute, tokensPerMinute);
    }

    /** At time {@code atMillis}: admit (expect the Retry-After, 0 = admitted) or charge tokens. */
    record Step(long atMillis, String action, long amount, long expected) {
        static Step admit(long at, long expectedRetryAfter) {
            return new Step(at, "admit", 0, expectedRetryAfter);
        }

        static Step charge(long at, long tokens) {
            return new Step(at, "charge", tokens, 0);
        }
    }

    private static void run(Caller caller, List<Step> steps) {
        RateLimits limits = new RateLimits();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            if (step.action().equals("admit")) {
                assertEquals(step.expected(), limits.admit(caller, step.atMillis()), "step " + i + ": " + step);
            } else {
                limits.charge(caller, step.amount(), step.atMillis());
            }
        }
    }

    @Test
    void requestsPerMinuteAdmitABurstThenRefillSteadily() {
        // 2 per minute: a burst of two, then one more every 30 s
        run(key("a", 2, 0), List.of(
                Step.admit(0, 0), Step.admit(1, 0), Step.admit(2, 30), Step.admit(15_000, 15),
                Step.admit(30_001, 0), Step.admit(30_002, 30), Step.admit(120_000, 0), Step.admit(120_001, 0),
                Step.admit(120_002, 30)));
    }

    @Test
    void tokensPerMinuteMayBeOverdrawnAndThenWait() {
        // 600 tokens per minute = 10 per second; one answer of 900 leaves the key 300 short
        run(key("b", 0, 600), List.of(
                Step.admit(0, 0), Step.charge(100, 900), Step.admit(200, 30), Step.admit(29_000, 2),
                Step.admit(31_000, 0), Step.admit(31_001, 0), Step.charge(31_002, 5), Step.admit(31_003, 0)));
    }

    @Test
    void bothLimitsApplyAndUnlimitedKeysAreNeverCounted() {
        run(key("c", 1, 100), List.of(Step.admit(0, 0), Step.admit(1, 60)));
        run(key("d", 100, 10), List.of(Step.admit(0, 0), Step.charge(1, 20), Step.admit(2, 66)));
        run(key("e", 0, 0), List.of(Step.admit(0, 0), Step.charge(0, 1_000_000), Step.admit(0, 0),
                Step.admit(0, 0)));
        run(Caller.CLUSTER_TOKEN, List.of(Step.admit(0, 0), Step.admit(0, 0)));
    }

    @Test
    void keysHaveTheirOwnBuckets() {
        RateLimits limits = new RateLimits();
        assertEquals(0, limits.admit(key("x", 1, 0), 0));
        assertEquals(0, limits.admit(key("y", 1, 0), 0));
        assertEquals(60, limits.admit(key("x", 1, 0), 0));
    }

    @Test
    void aUsersLimitsAreOneBucketSharedByAllItsKeys() {
        // user "alice": 3 requests per minute over all her keys; each key may use up to 3 on its own
        RateLimits limits = new RateLimits();
        Caller first = new Caller("k1", "u-alice", "alice", false, 3, 0, 3, 0);
        Caller second = new Caller("k2", "u-alice", "alice", false, 3, 0, 3, 0);
        Caller bobs = new Caller("k3", "u-bob", "bob", false, 3, 0, 3, 0);
        assertEquals(0, limits.admit(first, 0));
        assertEquals(0, limits.admit(second, 1));
        assertEquals(0, limits.admit(first, 2));
        assertEquals(20, limits.admit(second, 3), "the user's third request used the shared bucket up");
        assertEquals(20, limits.admit(first, 4));
        assertEquals(0, limits.admit(bobs, 5), "another user's bucket is its own");
        assertEquals(0, limits.admit(second, 20_004), "one request back after 20 s");
    }

    @Test
    void aUsersTokensAreChargedOnceAcrossItsKeysAndAKeysOwnLimitStillHolds() {
        RateLimits limits = new RateLimits();
        Caller first = new Caller("k1", "u-carol", "carol", false, 0, 0, 0, 600);
        Caller second = new Caller("k2", "u-carol", "carol", false, 0, 0, 0, 600);
        assertEquals(0, limits.admit(first, 0));
        limits.charge(first, 900, 1);
        assertEquals(30, limits.admit(second, 200), "the other key waits for the user's tokens too");
        Caller tight = new Caller("k4", "u-dave", "dave", false, 1, 0, 10, 0);
        assertEquals(0, limits.admit(tight, 0));
        assertEquals(60, limits.admit(tight, 1), "the key's own limit is below its user's");
    }
}
