package dev.gpufleet.kit.auth;

import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The cluster token ({@code gpufleet.cluster-token}, env {@code GPUFLEET_CLUSTER_TOKEN}): the shared secret the
 * services demand on their routes and send to each other, and the key the instance API keys are derived from
 * ({@link InstanceApiKeys}). This is the one place it is read and checked; everything that needs it injects this.
 * It is never logged: {@link #toString()} hides it.
 *
 * <p>Created at start, so a token that is missing or too short fails the start, not the first request.
 */
@Startup
@Singleton
public final class ClusterToken {
    private static final String PROPERTY = "gpufleet.cluster-token";
    static final int MIN_LENGTH = 16;

    private final String value;
    private final byte[] bytes;
    private final boolean ascii;

    public ClusterToken(@ConfigProperty(name = "gpufleet.cluster-token") String value) {
        if (value == null || value.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(PROPERTY + " (GPUFLEET_CLUSTER_TOKEN) must be at least " + MIN_LENGTH
                    + " characters");
        }
        this.value = value;
        this.bytes = value.getBytes(StandardCharsets.UTF_8);
        this.ascii = bytes.length == value.length();
    }

    /** The secret itself, for deriving keys from it. */
    public String value() {
        return value;
    }

    /** The {@code Authorization} header value a service sends to another. */
    public String bearer() {
        return "Bearer " + value;
    }

    /** Whether a presented token (without {@code Bearer }) is this one, compared in constant time. */
    public boolean matches(String presented) {
        return sameToken(bytes, ascii, presented);
    }

    /** Whether an {@code Authorization} header carries this token. */
    public boolean matchesBearer(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ")
                && matches(authorization.substring("Bearer ".length()));
    }

    /**
     * {@link MessageDigest#isEqual} over the presented token's UTF-8 bytes (constant time in its contents), without
     * making those bytes on every request when the expected token is ASCII: then a char that is not ASCII can never
     * match, and each char is compared with its byte directly.
     */
    static boolean sameToken(byte[] expected, boolean expectedAscii, String presented) {
        if (!expectedAscii || expected.length == 0) {
            return MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8));
        }
        int length = presented.length();
        if (length == 0) {
            return false; // expected is not empty here
        }
        int difference = length ^ expected.length;
        // over the expected token's length whatever the presented one's, as MessageDigest.isEqual does: the
        // presented index is i while inside it, else 0 (branch-free)
        for (int i = 0; i < expected.length; i++) {
            int at = ((i - length) >>> 31) * i;
            difference |= presented.charAt(at) ^ (expected[i] & 0xFF);
        }
        return difference == 0;
    }

    @Override
    public String toString() {
        return "ClusterToken[hidden]";
    }
}
