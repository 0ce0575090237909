package dev.gpufleet.gateway.auth;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The cluster token check gives what MessageDigest.isEqual over the UTF-8 bytes gives, for ASCII tokens or not. */
class SameTokenTest {

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
        assertEquals(same, Authenticator.sameToken(bytes, ascii, presented));
    }
}
