package dev.gpufleet.gateway.forwarding;

import dev.gpufleet.localstack.testing.TestClusterToken;
import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * Tests only: a gateway in the middle of a rotation of the backend-key secret: a new secret, and the one every other
 * test uses as the previous one (what backends started before the rotation hold their keys from).
 */
public class RotatingBackendKeySecret implements QuarkusTestProfile {
    static final String NEW_SECRET = "rotated-backend-key-secret-0123456789abcdef";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("gpufleet.backend-key-secret", NEW_SECRET,
                "gpufleet.backend-key-secret-previous", TestClusterToken.BACKEND_KEY_SECRET);
    }
}
