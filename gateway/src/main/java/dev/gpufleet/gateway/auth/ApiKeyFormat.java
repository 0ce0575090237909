package dev.gpufleet.gateway.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/**
 * API keys look like {@code gpf_<id>_<secret>}: the id (16 hex digits) finds the row, the secret (32 random bytes,
 * 64 hex digits) proves possession. Only SHA-256 of the secret is stored.
 *
 * <p>No slow password hash (bcrypt, argon2): those exist to make guessing low-entropy passwords expensive. A
 * 256-bit random secret cannot be guessed whatever the hash costs, so one fast SHA-256 is as safe and keeps the
 * check off the request's critical path.
 */
public final class ApiKeyFormat {
    public static final String PREFIX = "gpf_";
    static final int ID_BYTES = 8;
    static final int SECRET_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeyFormat() {
    }

    /** A key as presented: the id and the secret. */
    public record Parsed(String id, String secret) {
        @Override
        public String toString() {
            return "Parsed[id=" + id + ", secret=***]";
        }
    }

    /** A freshly made key: {@link #key()} is shown once, {@link #hash()} is stored. */
    public record NewKey(String id, String key, byte[] hash) {
        @Override
        public String toString() {
            return "NewKey[id=" + id + ", key=***]";
        }
    }

    public static NewKey generate() {
        String id = random(ID_BYTES);
        String secret = random(SECRET_BYTES);
        return new NewKey(id, PREFIX + id + "_" + secret, hash(secret));
    }

    /** A key given whole (the first admin's, from a Secret), as if just made; empty unless well-formed. */
    public static Optional<NewKey> given(String key) {
        return parse(key).map(parsed -> new NewKey(parsed.id(), key, hash(parsed.secret())));
    }

    /** The id and secret of a well-formed key; empty for anything else. */
    public static Optional<Parsed> parse(String key) {
        if (key == null || !key.startsWith(PREFIX)) {
            return Optional.empty();
        }
        int idEnd = PREFIX.length() + ID_BYTES * 2;
        if (key.length() != idEnd + 1 + SECRET_BYTES * 2 || key.charAt(idEnd) != '_') {
            return Optional.empty();
        }
        String id = key.substring(PREFIX.length(), idEnd);
        String secret = key.substring(idEnd + 1);
        if (!isHex(id) || !isHex(secret)) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(id, secret));
    }

    public static byte[] hash(String secret) {
        // one digest per thread: MessageDigest.getInstance walks the security providers on every call, which cost
        // more than the hash itself on every authenticated request
        return SHA256.get().digest(secret.getBytes(StandardCharsets.US_ASCII));
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    });

    /** Constant time in the hashes' contents. */
    public static boolean matches(Parsed presented, byte[] storedHash) {
        return MessageDigest.isEqual(hash(presented.secret()), storedHash);
    }

    private static String random(int bytes) {
        byte[] buffer = new byte[bytes];
        RANDOM.nextBytes(buffer);
        return HEX.formatHex(buffer);
    }

    /** The lower-case hex digits, by char: one load per char of the 80 checked on every request. */
    private static final boolean[] HEX_DIGIT = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            HEX_DIGIT[c] = true;
        }
        for (char c = 'a'; c <= 'f'; c++) {
            HEX_DIGIT[c] = true;
        }
    }

    private static boolean isHex(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= HEX_DIGIT.length || !HEX_DIGIT[c]) {
                return false;
            }
        }
        return true;
    }
}
