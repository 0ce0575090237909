package dev.gpufleet.kit.auth;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A secret with the value in use and, during a rotation, the one before it: both are accepted, only the current one
 * is sent or used to derive anything new. Both are compared on every check, in constant time, so a check does not
 * reveal which one matched or how much of either. Never printed.
 */
public final class RotatingSecret {
    private final String current;
    private final byte[] currentBytes;
    private final boolean currentAscii;
    private final byte[] previousBytes;
    private final boolean previousAscii;
    private final String previous;

    /**
     * @param property the setting's name, e.g. {@code gpufleet.cluster-token}; the previous value is read from
     *                 {@code <property>-previous}
     * @param envName  its environment form; the previous value's is {@code <envName>_PREVIOUS}
     */
    public RotatingSecret(String property, String envName, String current, Optional<String> previous) {
        this.current = SecretSetting.require(property, envName, current);
        this.previous = SecretSetting.optional(property + "-previous", envName + "_PREVIOUS",
                previous == null ? Optional.empty() : previous).orElse(null);
        this.currentBytes = current.getBytes(StandardCharsets.UTF_8);
        this.currentAscii = currentBytes.length == current.length();
        this.previousBytes = this.previous == null ? null : this.previous.getBytes(StandardCharsets.UTF_8);
        this.previousAscii = this.previous != null && previousBytes.length == this.previous.length();
    }

    /** The value in use: what is sent and what new keys are derived from. */
    public String current() {
        return current;
    }

    /** The value being rotated out, still accepted; empty outside a rotation. */
    public Optional<String> previous() {
        return Optional.ofNullable(previous);
    }

    /** Whether {@code presented} is the current or the previous value. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        boolean now = ClusterToken.sameToken(currentBytes, currentAscii, presented);
        boolean before = previousBytes != null && ClusterToken.sameToken(previousBytes, previousAscii, presented);
        return now | before;
    }

    @Override
    public String toString() {
        return "RotatingSecret[hidden]";
    }
}
