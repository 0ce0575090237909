package dev.gpufleet.gateway.auth;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiKeyFormatTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aNewKeyParsesBackToItsIdAndMatchesItsHash() {
        ApiKeyFormat.NewKey made = ApiKeyFormat.generate();
        assertTrue(made.key().matches("gpf_[0-9a-f]{16}_[0-9a-f]{64}"), made.key());
        ApiKeyFormat.Parsed parsed = ApiKeyFormat.parse(made.key()).orElseThrow();
        assertEquals(made.id(), parsed.id());
        assertTrue(ApiKeyFormat.matches(parsed, made.hash()));
        assertFalse(made.toString().contains(parsed.secret()));
        assertFalse(parsed.toString().contains(parsed.secret()));
    }

    @Test
    void keysAreUnique() {
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            ApiKeyFormat.NewKey made = ApiKeyFormat.generate();
            ids.add(made.id());
            keys.add(made.key());
        }
        assertEquals(1000, ids.size());
        assertEquals(1000, keys.size());
    }

    @Test
    void malformedKeysDoNotParse() {
        String id = "0123456789abcdef";
        String secret = "a".repeat(64);
        List<String> malformed = List.of("", "gpf_", "sk-" + id + "_" + secret, "gpf_" + id + secret,
                "gpf_" + id + "_" + secret + "0", "gpf_" + id + "_" + secret.substring(1),
                "gpf_" + id.toUpperCase() + "_" + secret, "gpf_" + id + "_" + "g".repeat(64),
                "gpf_" + id + "-" + secret, "GPF_" + id + "_" + secret);
        for (String key : malformed) {
            assertTrue(ApiKeyFormat.parse(key).isEmpty(), key);
        }
        assertTrue(ApiKeyFormat.parse(null).isEmpty());
        assertTrue(ApiKeyFormat.parse("gpf_" + id + "_" + secret).isPresent());
        // one char that is not a lower-case hex digit, in the id or the secret: the neighbours of each range,
        // upper case, and chars past ASCII (a digit of another script, a full-width digit)
        for (char bad : "/:`gAF \u00e9\u0100\u0660\uff10".toCharArray()) {
            String badId = id.substring(0, 5) + bad + id.substring(6);
            String badSecret = secret.substring(0, 63) + bad;
            assertTrue(ApiKeyFormat.parse("gpf_" + badId + "_" + secret).isEmpty(), "id with " + bad);
            assertTrue(ApiKeyFormat.parse("gpf_" + id + "_" + badSecret).isEmpty(), "secret with " + bad);
        }
        for (char good : "0123456789abcdef".toCharArray()) {
            assertTrue(ApiKeyFormat.parse("gpf_" + id + "_" + secret.substring(0, 63) + good).isPresent());
        }
    }

    @Test
    void verdictsOfAStoredKey() {
        ApiKeyFormat.NewKey made = ApiKeyFormat.generate();
        ApiKeyFormat.Parsed right = ApiKeyFormat.parse(made.key()).orElseThrow();
        ApiKeyFormat.Parsed wrong = new ApiKeyFormat.Parsed(made.id(), "b".repeat(64));
        record Case(ApiKeyFormat.Parsed presented, Instant expiresAt, Instant revokedAt, boolean disabled,
                    StoredKey.Verdict expected) {
        }
        List<Case> cases = List.of(
                new Case(right, null, null, false, StoredKey.Verdict.OK),
                new Case(right, NOW.plusSeconds(1), null, false, StoredKey.Verdict.OK),
                new Case(wrong, null, null, false, StoredKey.Verdict.WRONG_SECRET),
                new Case(wrong, NOW.minusSeconds(1), NOW, true, StoredKey.Verdict.WRONG_SECRET),
                new Case(right, NOW, null, false, StoredKey.Verdict.EXPIRED),
                new Case(right, NOW.minusSeconds(1), null, false, StoredKey.Verdict.EXPIRED),
                new Case(right, null, NOW.minusSeconds(5), false, StoredKey.Verdict.REVOKED),
                new Case(right, NOW.minusSeconds(1), NOW.minusSeconds(5), false, StoredKey.Verdict.REVOKED),
                new Case(right, null, null, true, StoredKey.Verdict.USER_DISABLED));
        for (Case c : cases) {
            StoredKey stored = new StoredKey(made.id(), "u", "alice", false, c.disabled(), made.hash(),
                    c.expiresAt(), c.revokedAt(), 0, 0);
            assertEquals(c.expected(), stored.verify(c.presented(), NOW), c.toString());
        }
    }
}
