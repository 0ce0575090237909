package dev.gpufleet.gateway.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.gpufleet.kit.http.ApiException;

import java.time.Duration;
import java.time.Instant;

/**
 * What a user's keys may be at most: requests and tokens per minute, and how long a key may live (days); 0 means no
 * limit. The limits belong to the user: every key made for it stays within them ({@link #keyWithin}), whoever makes
 * it. Lowering a user's limits does not change keys it already has.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UserLimits(int requestsPerMinute, long tokensPerMinute, int maxKeyDays) {
    public static final UserLimits NONE = new UserLimits(0, 0, 0);
    static final int MAX_KEY_DAYS = 36_500;

    /** A key's limits and expiry as asked for (0 = unlimited, null = never expires). */
    public record KeyTerms(int requestsPerMinute, long tokensPerMinute, Instant expiresAt) {
    }

    /** Checked limits from a request body; null fields are 0. */
    public static UserLimits of(Integer requestsPerMinute, Long tokensPerMinute, Integer maxKeyDays) {
        int requests = requestsPerMinute == null ? 0 : requestsPerMinute;
        long tokens = tokensPerMinute == null ? 0 : tokensPerMinute;
        int days = maxKeyDays == null ? 0 : maxKeyDays;
        if (requests < 0 || requests > ApiKeysResource.MAX_REQUESTS_PER_MINUTE) {
            throw ApiException.badRequest("requests_per_minute: must be from 0 (unlimited) to "
                    + ApiKeysResource.MAX_REQUESTS_PER_MINUTE + ", was " + requests);
        }
        if (tokens < 0 || tokens > ApiKeysResource.MAX_TOKENS_PER_MINUTE) {
            throw ApiException.badRequest("tokens_per_minute: must be from 0 (unlimited) to "
                    + ApiKeysResource.MAX_TOKENS_PER_MINUTE + ", was " + tokens);
        }
        if (days < 0 || days > MAX_KEY_DAYS) {
            throw ApiException.badRequest("max_key_days: must be from 0 (keys may live forever) to " + MAX_KEY_DAYS
                    + ", was " + days);
        }
        return new UserLimits(requests, tokens, days);
    }

    /**
     * The terms a new key of this user gets: what was asked, where it is within the limits; the user's limit where
     * nothing (0, absent) was asked; a 400 naming the field where more was asked than the user may have.
     */
    public KeyTerms keyWithin(KeyTerms asked, String userName, Instant now) {
        int requests = asked.requestsPerMinute();
        if (requestsPerMinute > 0) {
            if (requests > requestsPerMinute) {
                throw ApiException.badRequest("requests_per_minute: user '" + userName + "' may have at most "
                        + requestsPerMinute + " per key, was " + requests);
            }
            requests = requests == 0 ? requestsPerMinute : requests;
        }
        long tokens = asked.tokensPerMinute();
        if (tokensPerMinute > 0) {
            if (tokens > tokensPerMinute) {
                throw ApiException.badRequest("tokens_per_minute: user '" + userName + "' may have at most "
                        + tokensPerMinute + " per key, was " + tokens);
            }
            tokens = tokens == 0 ? tokensPerMinute : tokens;
        }
        Instant expiresAt = asked.expiresAt();
        if (maxKeyDays > 0) {
            Instant latest = now.plus(Duration.ofDays(maxKeyDays));
            if (expiresAt != null && expiresAt.isAfter(latest)) {
                throw ApiException.badRequest("expires_at: user '" + userName + "' may have keys for at most "
                        + maxKeyDays + " days, until " + latest + "; was " + expiresAt);
            }
            expiresAt = expiresAt == null ? latest : expiresAt;
        }
        return new KeyTerms(requests, tokens, expiresAt);
    }
}
