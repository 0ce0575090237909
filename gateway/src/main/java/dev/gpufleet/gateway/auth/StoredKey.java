package dev.gpufleet.gateway.auth;

import java.time.Instant;
import java.util.function.BiPredicate;

/** An API key's row joined with its owner, as the authenticator needs it. */
public record StoredKey(String id, String userId, String userName, boolean admin, boolean userDisabled, byte[] hash,
                        Instant expiresAt, Instant revokedAt, int requestsPerMinute, long tokensPerMinute,
                        int userRequestsPerMinute, long userTokensPerMinute) {

    /** A key whose owner has no limits of its own. */
    public StoredKey(String id, String userId, String userName, boolean admin, boolean userDisabled, byte[] hash,
                     Instant expiresAt, Instant revokedAt, int requestsPerMinute, long tokensPerMinute) {
        this(id, userId, userName, admin, userDisabled, hash, expiresAt, revokedAt, requestsPerMinute,
                tokensPerMinute, 0, 0);
    }

    /** Why a key was refused, or {@link #OK}. */
    public enum Verdict { OK, WRONG_SECRET, EXPIRED, REVOKED, USER_DISABLED }

    /** The pure check: secret (constant time), then revocation, expiry and the owner. */
    public Verdict verify(ApiKeyFormat.Parsed presented, Instant now) {
        return verify(presented, now, ApiKeyFormat::matches);
    }

    /** The same, with the secret checked by {@code secretMatchesHash} (a counting one in the key cache's test). */
    public Verdict verify(ApiKeyFormat.Parsed presented, Instant now,
                          BiPredicate<ApiKeyFormat.Parsed, byte[]> secretMatchesHash) {
        if (!secretMatchesHash.test(presented, hash)) {
            return Verdict.WRONG_SECRET;
        }
        return standing(now);
    }

    /** The check once the secret is known to match: revocation, expiry and the owner. */
    public Verdict standing(Instant now) {
        if (revokedAt != null) {
            return Verdict.REVOKED;
        }
        if (expiresAt != null && !now.isBefore(expiresAt)) {
            return Verdict.EXPIRED;
        }
        if (userDisabled) {
            return Verdict.USER_DISABLED;
        }
        return Verdict.OK;
    }

    public Caller caller() {
        return new Caller(id, userId, userName, admin, requestsPerMinute, tokensPerMinute, userRequestsPerMinute,
                userTokensPerMinute);
    }

    @Override
    public String toString() {
        return "StoredKey[id=" + id + ", user=" + userName + "]";
    }
}
