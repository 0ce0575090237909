package dev.gpufleet.worker.proxy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * Whether an {@code Authorization} header carries one of an instance's accepted keys: the key derived from the
 * backend-key secret and, during a rotation, the one derived from the previous secret. Every accepted key is compared
 * on every check, in constant time ({@link MessageDigest#isEqual}), so a check does not reveal which matched or how
 * much of either. Never printed.
 */
public final class BackendKeyCheck {
    private static final String BEARER = "Bearer ";

    private final List<byte[]> accepted;

    public BackendKeyCheck(List<String> keys) {
        if (keys.isEmpty() || keys.stream().anyMatch(k -> k == null || k.isEmpty())) {
            throw new IllegalArgumentException("an authenticating proxy needs at least one non-empty key");
        }
        this.accepted = keys.stream().map(k -> k.getBytes(StandardCharsets.UTF_8)).toList();
    }

    public boolean accepts(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] presented = authorization.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        boolean match = false;
        for (byte[] key : accepted) {
            match |= MessageDigest.isEqual(key, presented);
        }
        return match;
    }

    @Override
    public String toString() {
        return "BackendKeyCheck[" + accepted.size() + " key(s), hidden]";
    }
}
