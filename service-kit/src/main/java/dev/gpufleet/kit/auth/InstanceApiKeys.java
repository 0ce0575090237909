package dev.gpufleet.kit.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * The API key a backend instance is started with, derived from the cluster token and the instance id, so the
 * worker agent (which starts the backend with it) and the gateway (which calls the backend with it) agree without
 * storing or sending it: {@code "gpf-" + hex(HMAC-SHA256(key = cluster token, "gpufleet instance api key v1:" +
 * instanceId))}. Knowing one instance's key reveals nothing about the token or other instances' keys.
 */
public final class InstanceApiKeys {
    static final String CONTEXT = "gpufleet instance api key v1:";

    private InstanceApiKeys() {
    }

    public static String forInstance(String clusterToken, String instanceId) {
        if (clusterToken == null || clusterToken.isEmpty()) {
            throw new IllegalArgumentException("cluster token: required to derive instance API keys");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(clusterToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((CONTEXT + instanceId).getBytes(StandardCharsets.UTF_8));
            return "gpf-" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
