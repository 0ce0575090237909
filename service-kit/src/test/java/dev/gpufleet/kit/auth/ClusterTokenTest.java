package dev.gpufleet.kit.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The service token meets the secret rule (SecretSetting), accepts the previous value during a rotation, sends only
 * the current one, and is never printed; its check gives what MessageDigest.isEqual over the
 * UTF-8 bytes gives, for ASCII tokens or not.
 */
class ClusterTokenTest {

    private static final String CURRENT = "test-cluster-token-0123456789abcdef";
    private static final String PREVIOUS = "old-cluster-token-0123456789abcdefgh";

    @Test
    void aTokenShorterThan32BytesOrAPlaceholderFailsNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterToken("thirty-one-bytes-long-012345678"));
        assertEquals("gpufleet.cluster-token (GPUFLEET_CLUSTER_TOKEN) is 31 bytes long; it must be at least 32 bytes "
                + "(for example: openssl rand -base64 32)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClusterToken(null));
        e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterToken(CURRENT, Optional.of("CHANGE-ME-to-a-random-secret-of-32-bytes")));
        assertEquals("gpufleet.cluster-token-previous (GPUFLEET_CLUSTER_TOKEN_PREVIOUS) is still the placeholder "
                + "'CHANGE-ME…': set a random secret of at least 32 bytes (for example: openssl rand -base64 32)",
                e.getMessage());
    }

    @Test
    void aBearerHeaderMatchesOnlyWithTheExactToken() {
        ClusterToken token = new ClusterToken(CURRENT);
        assertEquals("Bearer " + CURRENT, token.bearer());
        assertTrue(token.matchesBearer("Bearer " + CURRENT));
        assertFalse(token.matchesBearer("bearer " + CURRENT));
        assertFalse(token.matchesBearer("Bearer  " + CURRENT));
        assertFalse(token.matchesBearer(CURRENT));
        assertFalse(token.matchesBearer("Bearer " + PREVIOUS));
        assertFalse(token.matchesBearer(null));
        assertFalse(token.toString().contains("0123456789"), token.toString());
    }

    @Test
    void duringARotationBothValuesAreAcceptedAndOnlyTheCurrentIsSent() {
        ClusterToken token = new ClusterToken(CURRENT, Optional.of(PREVIOUS));
        assertEquals("Bearer " + CURRENT, token.bearer());
        assertTrue(token.matchesBearer("Bearer " + CURRENT));
        assertTrue(token.matchesBearer("Bearer " + PREVIOUS));
        assertFalse(token.matchesBearer("Bearer " + PREVIOUS + "x"));
        assertFalse(token.matchesBearer("Bearer " + CURRENT.substring(1)));
        assertTrue(new ClusterToken(CURRENT, Optional.of(" ")).matches(CURRENT), "a blank previous value is unset");
    }

    @ParameterizedTest(name = "{0} vs {1}")
    @CsvSource(delimiter = '|', value = {
            "test-cluster-token-0123456789 | test-cluster-token-0123456789 | true",
            "test-cluster-token-0123456789 | test-cluster-token-0123456788 | false",
            "test-cluster-token-0123456789 | test-cluster-token-012345678 | false",
            "test-cluster-token-0123456789 | test-cluster-token-01234567890 | false",
            "test-cluster-token-0123456789 | test-cluster-token-0123456789test-cluster-token-0123456789 | false",
            "test-cluster-token-0123456789 | Test-cluster-token-0123456789 | false",
            // a char whose low byte is the expected byte ('t' + 0x100) must not match
            "test-cluster-token-0123456789 | ātest-cluster-token-012345678 | false",
            "test-cluster-token-0123456789 | ŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴŴ | false",
            "tést-cluster-token-0123456789 | tést-cluster-token-0123456789 | true",
            "tést-cluster-token-0123456789 | test-cluster-token-0123456789 | false",
            "'' | '' | true",
            "'' | x | false",
    })
    void agreesWithMessageDigestOverUtf8(String expected, String presented, boolean same) {
        byte[] bytes = expected.getBytes(StandardCharsets.UTF_8);
        boolean ascii = bytes.length == expected.length();
        assertEquals(same, MessageDigest.isEqual(bytes, presented.getBytes(StandardCharsets.UTF_8)), "the oracle");
        assertEquals(same, ClusterToken.sameToken(bytes, ascii, presented));
    }
}
