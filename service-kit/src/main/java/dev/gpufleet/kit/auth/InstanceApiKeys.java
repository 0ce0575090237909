package dev.gpufleet.kit.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * The API key a backend instance is started with, derived from the backend-key secret ({@link BackendKeySecret}) and the instance id, so the
 * worker agent (which starts the backend with it) and the gateway (which calls the backend with it) agree without
 * storing or sending it: {@code "gpf-" + hex(HMAC-SHA256(key = backend-key secret, "gpufleet instance api key v1:" +
 * instanceId))}. Knowing one instance's key reveals nothing about the secret or other instances' keys.
 */
public final class InstanceApiKeys {
    static final String CONTEXT = "gpufleet instance api key v1:";

    private InstanceApiKeys() {
    }

    public static String forInstance(String secret, String instanceId) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("backend-key secret: required to derive instance API keys");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((CONTEXT + instanceId).getBytes(StandardCharsets.UTF_8));
            return "gpf-" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
