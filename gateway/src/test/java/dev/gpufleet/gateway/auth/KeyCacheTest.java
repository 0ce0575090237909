package dev.gpufleet.gateway.auth;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class KeyCacheTest {
    private static final Instant T0 = Instant.parse("2026-11-27T00:00:00Z");
    private static final Duration TTL = Duration.ofSeconds(10);
    private static final Duration STALE_LIMIT = Duration.ofMinutes(10);

    private final AtomicInteger hashes = new AtomicInteger();
    private final KeyCache cache = new KeyCache(TTL, STALE_LIMIT, (presented, hash) -> {
        hashes.incrementAndGet();
        return ApiKeyFormat.matches(presented, hash);
    });
    private final ApiKeyFormat.NewKey made = ApiKeyFormat.generate();
    private final ApiKeyFormat.Parsed right = ApiKeyFormat.parse(made.key()).orElseThrow();
    private final ApiKeyFormat.Parsed wrong = new ApiKeyFormat.Parsed(made.id(), "0".repeat(64));

    private StoredKey row(Instant expiresAt, Instant revokedAt, boolean userDisabled) {
        return new StoredKey(made.id(), "u1", "alice", false, userDisabled, made.hash(), expiresAt, revokedAt, 60, 0);
    }

    private static String message(Authenticator.Outcome outcome) {
        return assertInstanceOf(Authenticator.Refused.class, outcome).message();
    }

    @Test
    void aRepeatedSecretIsComparedNotHashedAgainAndGetsTheSameCaller() {
        assertNull(cache.decide(right, T0), "nothing cached yet: the row must be loaded");
        Authenticator.Outcome first = cache.load(right, Optional.of(row(null, null, false)), T0);
        assertEquals("alice", assertInstanceOf(Authenticator.Allowed.class, first).caller().userName());
        assertEquals(1, hashes.get());
        for (int i = 1; i <= 5; i++) {
            assertSame(first, cache.decide(right, T0.plusSeconds(i)));
        }
        assertEquals(1, hashes.get(), "a verified secret is not hashed again");
    }

    @Test
    void aWrongSecretIsHashedAndRefusedAndDoesNotReplaceTheVerifiedOne() {
        cache.load(right, Optional.of(row(null, null, false)), T0);
        assertSame(KeyCache.INVALID, cache.decide(wrong, T0.plusSeconds(1)));
        assertEquals(2, hashes.get());
        assertSame(KeyCache.INVALID, cache.load(wrong, Optional.of(row(null, null, false)), T0.plusSeconds(2)),
                "a wrong secret on a freshly loaded row");
        assertInstanceOf(Authenticator.Allowed.class, cache.decide(right, T0.plusSeconds(3)));
        assertEquals(4, hashes.get(), "the reload dropped the verified secret: the right one is hashed once more");
        assertInstanceOf(Authenticator.Allowed.class, cache.decide(right, T0.plusSeconds(4)));
        assertEquals(4, hashes.get());
    }

    @Test
    void standingIsJudgedOnEveryRequestEvenWithAVerifiedSecret() {
        Instant expiry = T0.plusSeconds(5);
        cache.load(right, Optional.of(row(expiry, null, false)), T0);
        assertInstanceOf(Authenticator.Allowed.class, cache.decide(right, T0.plusSeconds(4)));
        assertEquals("This API key has expired.", message(cache.decide(right, expiry)));
        assertEquals(1, hashes.get());
    }

    @Test
    void refusalsOfAKnownKeyComeOnlyAfterItsSecretMatched() {
        record Case(StoredKey row, ApiKeyFormat.Parsed presented, String refusal) {
        }
        List<Case> cases = List.of(
                new Case(row(null, T0.minusSeconds(1), false), right, "This API key has been revoked."),
                new Case(row(null, T0.minusSeconds(1), false), wrong, KeyCache.INVALID.message()),
                new Case(row(T0.minusSeconds(1), null, false), right, "This API key has expired."),
                new Case(row(T0.minusSeconds(1), null, false), wrong, KeyCache.INVALID.message()),
                new Case(row(null, null, true), right, "This API key's user is disabled."),
                new Case(row(null, null, true), wrong, KeyCache.INVALID.message()));
        for (Case c : cases) {
            assertEquals(c.refusal(), message(cache.load(c.presented(), Optional.of(c.row()), T0)), c.toString());
            assertEquals(c.refusal(), message(cache.decide(c.presented(), T0.plusSeconds(1))), c.toString());
        }
    }

    @Test
    void unknownIdsAreCachedAsInvalid() {
        assertSame(KeyCache.INVALID, cache.load(right, Optional.empty(), T0));
        assertSame(KeyCache.INVALID, cache.decide(right, T0.plusSeconds(9)));
        assertEquals(0, hashes.get());
    }

    @Test
    void aRowIsReloadedAfterItsTtlOrAnEviction() {
        cache.load(right, Optional.of(row(null, null, false)), T0);
        assertInstanceOf(Authenticator.Allowed.class, cache.decide(right, T0.plus(TTL).minusMillis(1)));
        assertNull(cache.decide(right, T0.plus(TTL)));

        cache.load(right, Optional.of(row(null, null, false)), T0);
        cache.evict(made.id());
        assertNull(cache.decide(right, T0.plusSeconds(1)));

        cache.load(right, Optional.of(row(null, null, false)), T0);
        cache.evict(List.of("another", made.id()));
        assertNull(cache.decide(right, T0.plusSeconds(1)));
    }

    @Test
    void anEvictionDuringAVerificationIsNotUndone() {
        // the verified secret is stored with replace(old, new): a concurrent evict wins
        KeyCache[] self = {null};
        KeyCache evicting = new KeyCache(TTL, STALE_LIMIT, (presented, hash) -> {
            self[0].evict(presented.id());
            return ApiKeyFormat.matches(presented, hash);
        });
        self[0] = evicting;
        evicting.load(right, Optional.of(row(null, null, false)), T0);
        assertNull(evicting.decide(right, T0.plusSeconds(1)), "evicted while the secret was being checked");
    }

    @Test
    void whileTheDatabaseIsAwayARowServesPastItsTtlUpToTheStaleLimit() {
        cache.load(right, Optional.of(row(null, null, false)), T0);
        Instant pastTtl = T0.plus(TTL).plusSeconds(1);
        assertNull(cache.decide(right, pastTtl), "past the TTL the row is asked for again");
        assertInstanceOf(Authenticator.Allowed.class, cache.decideStale(right, pastTtl),
                "unless the database cannot be asked");
        assertSame(KeyCache.INVALID, cache.decideStale(wrong, pastTtl), "the secret is still checked");
        assertNull(cache.decideStale(right, T0.plus(STALE_LIMIT)), "not past the stale limit");
    }

    @Test
    void whatTheRowSaidStillAppliesWhileItServesStale() {
        record Case(StoredKey row, String refusal) {
        }
        List<Case> cases = List.of(
                new Case(row(null, T0.minusSeconds(1), false), "This API key has been revoked."),
                new Case(row(T0.plusSeconds(60), null, false), "This API key has expired."),
                new Case(row(null, null, true), "This API key's user is disabled."));
        for (Case c : cases) {
            cache.load(right, Optional.of(c.row()), T0);
            assertEquals(c.refusal(), message(cache.decideStale(right, T0.plusSeconds(120))), c.toString());
        }
    }

    @Test
    void aKeyEvictedBeforeTheOutageIsNotServedStaleAndAnUnknownIdIsNotRefusedStale() {
        cache.load(right, Optional.of(row(null, null, false)), T0);
        cache.evict(made.id());
        assertNull(cache.decideStale(right, T0.plusSeconds(1)), "revoked through this gateway: not held");

        ApiKeyFormat.Parsed other = ApiKeyFormat.parse(ApiKeyFormat.generate().key()).orElseThrow();
        cache.load(other, Optional.empty(), T0);
        assertSame(KeyCache.INVALID, cache.decide(other, T0.plusSeconds(1)));
        assertNull(cache.decideStale(other, T0.plus(TTL)),
                "unknown past its TTL: it may have been created since, so it cannot be refused without asking");
    }

    @Test
    void aFloodOfUnknownIdsDoesNotFlushTheRowsOfRealKeys() {
        KeyCache small = new KeyCache(TTL, STALE_LIMIT, 100, 10, ApiKeyFormat::matches);
        small.load(right, Optional.of(row(null, null, false)), T0);
        for (int i = 0; i < 1_000; i++) {
            ApiKeyFormat.Parsed madeUp = ApiKeyFormat.parse(ApiKeyFormat.generate().key()).orElseThrow();
            assertSame(KeyCache.INVALID, small.load(madeUp, Optional.empty(), T0));
        }
        assertTrue(small.holdsKey(made.id()));
        assertInstanceOf(Authenticator.Allowed.class, small.decide(right, T0.plusSeconds(1)));
    }

    @Test
    void pastTheBoundOnRealKeysRowsBeyondTheStaleLimitGoFirst() {
        KeyCache small = new KeyCache(TTL, STALE_LIMIT, 2, 10, ApiKeyFormat::matches);
        small.load(right, Optional.of(row(null, null, false)), T0.plus(STALE_LIMIT));
        ApiKeyFormat.NewKey oldKey = ApiKeyFormat.generate();
        ApiKeyFormat.Parsed old = ApiKeyFormat.parse(oldKey.key()).orElseThrow();
        small.load(old, Optional.of(new StoredKey(oldKey.id(), "u2", "bob", false, false, oldKey.hash(), null, null,
                0, 0)), T0);
        ApiKeyFormat.NewKey thirdKey = ApiKeyFormat.generate();
        ApiKeyFormat.Parsed third = ApiKeyFormat.parse(thirdKey.key()).orElseThrow();
        small.load(third, Optional.of(new StoredKey(thirdKey.id(), "u3", "carol", false, false, thirdKey.hash(),
                null, null, 0, 0)), T0.plus(STALE_LIMIT).plusSeconds(1));
        assertTrue(small.holdsKey(made.id()));
        assertTrue(small.holdsKey(thirdKey.id()));
        assertFalse(small.holdsKey(oldKey.id()), "loaded past the stale limit ago: it went");
    }
}
