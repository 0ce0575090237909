package dev.gpufleet.kit.auth;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The rule every secret setting is held to at start: present, not a placeholder copied from an example
 * ({@code CHANGE-ME…}, any case), and at least {@value #MIN_BYTES} bytes. The embedded default meets it by generating
 * each secret; elsewhere a weak or placeholder value fails the start with one line naming the setting.
 */
public final class SecretSetting {
    public static final int MIN_BYTES = 32;
    static final String PLACEHOLDER = "change-me";

    private SecretSetting() {
    }

    /** What is wrong with {@code value} for the setting {@code property} (env {@code envName}); empty if nothing. */
    public static Optional<String> problem(String property, String envName, String value) {
        String name = property + " (" + envName + ")";
        if (value == null || value.isBlank()) {
            return Optional.of(name + " is required: set a random secret of at least " + MIN_BYTES
                    + " bytes (for example: openssl rand -base64 32)");
        }
        if (value.strip().toLowerCase(Locale.ROOT).startsWith(PLACEHOLDER)) {
            return Optional.of(name + " is still the placeholder 'CHANGE-ME…': set a random secret of at least "
                    + MIN_BYTES + " bytes (for example: openssl rand -base64 32)");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_BYTES) {
            return Optional.of(name + " is " + bytes + " bytes long; it must be at least " + MIN_BYTES
                    + " bytes (for example: openssl rand -base64 32)");
        }
        return Optional.empty();
    }

    /** {@code value} if it meets the rule; else {@link IllegalArgumentException} with the one-line reason. */
    public static String require(String property, String envName, String value) {
        problem(property, envName, value).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
        return value;
    }

    /** As {@link #require} for an optional setting (a rotation's previous value): absent or blank is fine. */
    public static Optional<String> optional(String property, String envName, Optional<String> value) {
        Optional<String> present = value.filter(v -> !v.isBlank());
        present.ifPresent(v -> require(property, envName, v));
        return present;
    }
}
