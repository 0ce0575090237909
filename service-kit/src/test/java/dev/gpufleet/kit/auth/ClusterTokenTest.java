package dev.gpufleet.kit.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster token is at least 16 characters and never printed; its check gives what MessageDigest.isEqual over the
 * UTF-8 bytes gives, for ASCII tokens or not.
 */
class ClusterTokenTest {

    @Test
    void aTokenShorterThan16CharactersFailsNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ClusterToken("fifteen-chars-x"));
        assertEquals("gpufleet.cluster-token (GPUFLEET_CLUSTER_TOKEN) must be at least 16 characters", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClusterToken(null));
    }

    @Test
    void aBearerHeaderMatchesOnlyWithTheExactToken() {
        ClusterToken token = new ClusterToken("test-cluster-token-0123456789");
        assertEquals("Bearer test-cluster-token-0123456789", token.bearer());
        assertTrue(token.matchesBearer("Bearer test-cluster-token-0123456789"));
        assertFalse(token.matchesBearer("bearer test-cluster-token-0123456789"));
        assertFalse(token.matchesBearer("Bearer  test-cluster-token-0123456789"));
        assertFalse(token.matchesBearer("test-cluster-token-0123456789"));
        assertFalse(token.matchesBearer(null));
        assertFalse(token.toString().contains("0123456789"), token.toString());
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
