package dev.gpufleet.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * API key rows by key id, each kept for a TTL, and the decisions made from them: the pure core of
 * {@link Authenticator}.
 *
 * <p>The first presentation of a key's secret is checked against the stored SHA-256 hash. Once it matches, the
 * presented secret is kept with the row, and a repeat is decided by a constant-time compare with it instead of
 * hashing again, so a request does not pay a slow hash. It lives in this process's memory only, as the request
 * headers that carry it do, and is never logged. Revocation, expiry and the owner's state are judged on every
 * request.
 *
 * <p>While the database cannot be asked, a key's row is used past its TTL ({@link #decideStale}), for at most the
 * stale limit after it was last loaded: keys in use keep working through an outage, and what the row said when it
 * was loaded (revoked, expired, disabled) still applies.
 *
 * <p>Unknown ids are cached too, so random keys cannot hammer the database, but in a space of their own with its
 * own bound: a flood of made-up ids clears only that space, never the rows of real keys.
 */
final class KeyCache {
    /** A bound on the rows of real keys; past it, rows older than the stale limit go, then all. */
    static final int MAX_KNOWN = 100_000;
    /** A bound on the unknown ids kept; past it, they start over. */
    static final int MAX_UNKNOWN = 10_000;

    static final Authenticator.Refused INVALID = new Authenticator.Refused("Incorrect API key provided. "
            + "Send 'Authorization: Bearer <key>' with a key from /api/v1/api-keys.");
    private static final Authenticator.Refused EXPIRED = new Authenticator.Refused("This API key has expired.");
    private static final Authenticator.Refused REVOKED = new Authenticator.Refused("This API key has been revoked.");
    private static final Authenticator.Refused USER_DISABLED =
            new Authenticator.Refused("This API key's user is disabled.");

    /**
     * @param verifiedSecret the secret (ASCII) that matched the stored hash, or null until one has
     * @param allowed        the outcome when the key is in good standing, made once
     */
    private record Entry(StoredKey key, long loadedAtMillis, byte[] verifiedSecret, Authenticator.Allowed allowed) {
        Entry verified(byte[] secret) {
            return new Entry(key, loadedAtMillis, secret, allowed);
        }
    }

    private final long ttlMillis;
    private final long staleLimitMillis;
    private final int maxKnown;
    private final int maxUnknown;
    private final BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash;
    private final Map<String, Entry> known = new ConcurrentHashMap<>();
    /** Ids the database did not know, with when it said so. */
    private final Map<String, Long> unknown = new ConcurrentHashMap<>();

    /** @param secretMatchesHash the slow check, {@link ApiKeyFormat#matches} (a counting one in tests) */
    KeyCache(Duration ttl, Duration staleLimit, BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash) {
        this(ttl, staleLimit, MAX_KNOWN, MAX_UNKNOWN, secretMatchesHash);
    }

    KeyCache(Duration ttl, Duration staleLimit, int maxKnown, int maxUnknown,
             BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash) {
        this.ttlMillis = ttl.toMillis();
        this.staleLimitMillis = Math.max(ttl.toMillis(), staleLimit.toMillis());
        this.maxKnown = maxKnown;
        this.maxUnknown = maxUnknown;
        this.secretMatchesHash = secretMatchesHash;
    }

    /** The outcome from the cached row; null if there is none for this id or it is older than the TTL. */
    Authenticator.Outcome decide(ApiKeyFormat.Parsed presented, Instant now) {
        long nowMillis = now.toEpochMilli();
        Entry entry = known.get(presented.id());
        if (entry != null) {
            return nowMillis - entry.loadedAtMillis() < ttlMillis ? judge(entry, presented, now) : null;
        }
        Long unknownSince = unknown.get(presented.id());
        return unknownSince != null && nowMillis - unknownSince < ttlMillis ? INVALID : null;
    }

    /**
     * For when the database cannot be asked: the outcome from a row of a real key loaded within the stale limit,
     * however old past its TTL; null if there is none (an id not known, or known only as unknown: it may have been
     * created since).
     */
    Authenticator.Outcome decideStale(ApiKeyFormat.Parsed presented, Instant now) {
        Entry entry = known.get(presented.id());
        if (entry == null || now.toEpochMilli() - entry.loadedAtMillis() >= staleLimitMillis) {
            return null;
        }
        return judge(entry, presented, now);
    }

    /** Caches a row just read from the database (empty: no such key) and decides with it. */
    Authenticator.Outcome load(ApiKeyFormat.Parsed presented, Optional<StoredKey> key, Instant now) {
        long nowMillis = now.toEpochMilli();
        if (key.isEmpty()) {
            known.remove(presented.id());
            if (unknown.size() >= maxUnknown) {
                unknown.clear();
            }
            unknown.put(presented.id(), nowMillis);
            return INVALID;
        }
        unknown.remove(presented.id());
        if (known.size() >= maxKnown) {
            known.values().removeIf(e -> nowMillis - e.loadedAtMillis() >= staleLimitMillis);
            if (known.size() >= maxKnown) {
                known.clear();
            }
        }
        Entry entry = new Entry(key.get(), nowMillis, null, new Authenticator.Allowed(key.get().caller()));
        known.put(presented.id(), entry);
        return judge(entry, presented, now);
    }

    void evict(String keyId) {
        known.remove(keyId);
        unknown.remove(keyId);
    }

    void evict(Collection<String> keyIds) {
        keyIds.forEach(this::evict);
    }

    /** Whether a real key's row is held for this id (whatever its age). */
    boolean holdsKey(String keyId) {
        return known.containsKey(keyId);
    }

    private Authenticator.Outcome judge(Entry entry, ApiKeyFormat.Parsed presented, Instant now) {
        StoredKey key = entry.key();
        byte[] verified = entry.verifiedSecret();
        StoredKey.Verdict verdict;
        if (verified != null && sameSecret(presented.secret(), verified)) {
            verdict = key.standing(now);
        } else {
            verdict = key.verify(presented, now, secretMatchesHash);
            if (verdict != StoredKey.Verdict.WRONG_SECRET) {
                // replace, not put: an eviction (revoked meanwhile) must not be undone by this request
                byte[] secret = presented.secret().getBytes(StandardCharsets.US_ASCII);
                known.replace(presented.id(), entry, entry.verified(secret));
            }
        }
        return switch (verdict) {
            case OK -> entry.allowed();
            case EXPIRED -> EXPIRED;
            case REVOKED -> REVOKED;
            case USER_DISABLED -> USER_DISABLED;
            case WRONG_SECRET -> INVALID;
        };
    }

    /** Constant time in the contents (both are 64 hex digits once parsed). */
    private static boolean sameSecret(String presented, byte[] verified) {
        if (presented.length() != verified.length) {
            return false;
        }
        int difference = 0;
        for (int i = 0; i < verified.length; i++) {
            difference |= presented.charAt(i) ^ verified[i];
        }
        return difference == 0;
    }
}
