package dev.gpufleet.worker.backend;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The API key a backend demands ({@code --api-key}), one per instance: HMAC-SHA256 keyed with the cluster token over
 * {@code "gpufleet-instance-api-key:" + instanceId}, as lowercase hex with a {@code gfk-} prefix. The gateway knows
 * the cluster token and the instance id, so it computes the same key without any key being sent anywhere; a leaked
 * key opens one instance's backend, never the cluster token.
 */
public final class InstanceApiKey {
    static final String PREFIX = "gfk-";
    private static final String DOMAIN = "gpufleet-instance-api-key:";

    private InstanceApiKey() {
    }

    /** @throws IllegalArgumentException when the cluster token is empty (the key would be guessable) */
    public static String derive(String clusterToken, String instanceId) {
        if (clusterToken == null || clusterToken.isEmpty()) {
            throw new IllegalArgumentException("gpufleet.cluster-token is empty: no instance API key can be derived");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(clusterToken.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((DOMAIN + instanceId).getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
