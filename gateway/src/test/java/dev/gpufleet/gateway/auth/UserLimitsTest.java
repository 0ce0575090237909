package dev.gpufleet.gateway.auth;

import dev.gpufleet.kit.http.ApiException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A user's limits bound every key made for it: what is asked within them, the limit where nothing is asked. */
class UserLimitsTest {
    private static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");

    @ParameterizedTest(name = "user {0}/{1}/{2}d, asked {3}/{4}/{5}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // user rpm | tpm | days | asked rpm | tpm | expires            | key rpm | tpm | expires, or the error
            "0   | 0    | 0  | 0   | 0    | -                    | 0   | 0    | -",
            "0   | 0    | 0  | 50  | 900  | 2030-01-01T00:00:00Z | 50  | 900  | 2030-01-01T00:00:00Z",
            "60  | 0    | 0  | 0   | 0    | -                    | 60  | 0    | -",
            "60  | 0    | 0  | 30  | 0    | -                    | 30  | 0    | -",
            "60  | 0    | 0  | 61  | 0    | -                    | requests_per_minute: user 'alice' may have at most 60 per key, was 61 | - | -",
            "0   | 1000 | 0  | 0   | 0    | -                    | 0   | 1000 | -",
            "0   | 1000 | 0  | 0   | 1001 | -                    | tokens_per_minute: user 'alice' may have at most 1000 per key, was 1001 | - | -",
            "0   | 0    | 30 | 0   | 0    | -                    | 0   | 0    | 2026-03-31T00:00:00Z",
            "0   | 0    | 30 | 0   | 0    | 2026-03-10T00:00:00Z | 0   | 0    | 2026-03-10T00:00:00Z",
            "0   | 0    | 30 | 0   | 0    | 2026-03-31T00:00:01Z | expires_at: user 'alice' may have keys for at most 30 days, until 2026-03-31T00:00:00Z; was 2026-03-31T00:00:01Z | - | -",
    })
    void keysStayWithinTheUsersLimits(int userRequests, long userTokens, int days, int askedRequests,
                                      long askedTokens, String askedExpiry, String keyRequestsOrError,
                                      Long keyTokens, String keyExpiry) {
        UserLimits limits = new UserLimits(userRequests, userTokens, days);
        UserLimits.KeyTerms asked = new UserLimits.KeyTerms(askedRequests, askedTokens,
                askedExpiry == null ? null : Instant.parse(askedExpiry));
        if (keyTokens == null) {
            ApiException e = assertThrows(ApiException.class, () -> limits.keyWithin(asked, "alice", NOW));
            assertEquals(keyRequestsOrError, e.getMessage());
            return;
        }
        assertEquals(new UserLimits.KeyTerms(Integer.parseInt(keyRequestsOrError), keyTokens,
                keyExpiry == null ? null : Instant.parse(keyExpiry)), limits.keyWithin(asked, "alice", NOW));
    }

    @ParameterizedTest(name = "{0}/{1}/{2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "-1 | -  | -     | requests_per_minute: must be from 0 (unlimited) to 1000000, was -1",
            "-  | -5 | -     | tokens_per_minute: must be from 0 (unlimited)",
            "-  | -  | 36501 | max_key_days: must be from 0 (keys may live forever) to 36500, was 36501",
    })
    void badLimitsNameTheField(Integer requests, Long tokens, Integer days, String expected) {
        ApiException e = assertThrows(ApiException.class, () -> UserLimits.of(requests, tokens, days));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
