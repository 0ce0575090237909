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
 * presented secret is kept with the row for the rest of the TTL, and a repeat is decided by a constant-time compare
 * with it instead of hashing again, so a request does not pay a slow hash. It lives in this
 * process's memory only, as the request headers that carry it do, and is never logged. Revocation, expiry and the
 * owner's state are judged on every request. Unknown ids are cached too, so random keys cannot hammer the database.
 */
final class KeyCache {
    /** A bound: past it, the cache starts over (a flood of made-up key ids, say). */
    static final int MAX_CACHED = 100_000;

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
    private record Entry(Optional<StoredKey> key, long loadedAtMillis, byte[] verifiedSecret,
                         Authenticator.Allowed allowed) {
        Entry verified(byte[] secret) {
            return new Entry(key, loadedAtMillis, secret, allowed);
        }
    }

    private final long ttlMillis;
    private final BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    /** @param secretMatchesHash the slow check, {@link ApiKeyFormat#matches} (a counting one in tests) */
    KeyCache(Duration ttl, BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash) {
        this.ttlMillis = ttl.toMillis();
        this.secretMatchesHash = secretMatchesHash;
    }

    /** The outcome from the cached row; null if there is none for this id or it is older than the TTL. */
    Authenticator.Outcome decide(ApiKeyFormat.Parsed presented, Instant now) {
        Entry entry = entries.get(presented.id());
        if (entry == null || now.toEpochMilli() - entry.loadedAtMillis() >= ttlMillis) {
            return null;
        }
        return judge(entry, presented, now);
    }

    /** Caches a row just read from the database (empty: no such key) and decides with it. */
    Authenticator.Outcome load(ApiKeyFormat.Parsed presented, Optional<StoredKey> key, Instant now) {
        if (entries.size() >= MAX_CACHED) {
            entries.clear();
        }
        Entry entry = new Entry(key, now.toEpochMilli(), null,
                key.map(k -> new Authenticator.Allowed(k.caller())).orElse(null));
        entries.put(presented.id(), entry);
        return judge(entry, presented, now);
    }

    void evict(String keyId) {
        entries.remove(keyId);
    }

    void evict(Collection<String> keyIds) {
        keyIds.forEach(entries::remove);
    }

    private Authenticator.Outcome judge(Entry entry, ApiKeyFormat.Parsed presented, Instant now) {
        if (entry.key().isEmpty()) {
            return INVALID;
        }
        StoredKey key = entry.key().get();
        byte[] verified = entry.verifiedSecret();
        StoredKey.Verdict verdict;
        if (verified != null && sameSecret(presented.secret(), verified)) {
            verdict = key.standing(now);
        } else {
            verdict = key.verify(presented, now, secretMatchesHash);
            if (verdict != StoredKey.Verdict.WRONG_SECRET) {
                // replace, not put: an eviction (revoked meanwhile) must not be undone by this request
                byte[] secret = presented.secret().getBytes(StandardCharsets.US_ASCII);
                entries.replace(presented.id(), entry, entry.verified(secret));
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
