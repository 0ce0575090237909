package dev.gpufleet.kit.auth;

import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The service token ({@code gpufleet.cluster-token}, env {@code GPUFLEET_CLUSTER_TOKEN}): the shared secret the
 * services and agents send to each other's internal APIs. It is a service credential only: the gateway refuses it on
 * its public routes, backends' keys come from {@link BackendKeySecret}, and metrics take {@link MetricsToken}. During
 * a rotation {@code gpufleet.cluster-token-previous} is accepted too, and only the current value is sent. This is
 * the one place it is read and checked ({@link SecretSetting}: a placeholder or fewer than 32 bytes fail the start);
 * everything that needs it injects this. It is never logged: {@link #toString()} hides it.
 */
@Startup
@Singleton
public final class ClusterToken {
    public static final String PROPERTY = "gpufleet.cluster-token";
    public static final String ENV = "GPUFLEET_CLUSTER_TOKEN";

    private final RotatingSecret secret;

    @Inject
    public ClusterToken(@ConfigProperty(name = PROPERTY) String value,
                        @ConfigProperty(name = "gpufleet.cluster-token-previous") Optional<String> previous) {
        this.secret = new RotatingSecret(PROPERTY, ENV, value, previous);
    }

    public ClusterToken(String value) {
        this(value, Optional.empty());
    }

    /** The {@code Authorization} header value a service sends to another. */
    public String bearer() {
        return "Bearer " + secret.current();
    }

    /** Whether a presented token (without {@code Bearer }) is the current or, during a rotation, the previous one. */
    public boolean matches(String presented) {
        return secret.matches(presented);
    }

    /** Whether an {@code Authorization} header carries this token. */
    public boolean matchesBearer(String authorization) {
        return authorization != null && authorization.startsWith("Bearer ")
                && matches(authorization.substring("Bearer ".length()));
    }

    /** Whether the value in use looks like {@code prefix} (the gateway's API keys' public prefix). */
    public boolean anyValueStartsWith(String prefix) {
        return secret.current().startsWith(prefix) || secret.previous().map(p -> p.startsWith(prefix)).orElse(false);
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
