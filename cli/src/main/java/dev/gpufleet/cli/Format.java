package dev.gpufleet.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Sizes, ages and counts as people read them. */
public final class Format {
    private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

    private Format() {
    }

    /** 0 B, 512 B, 1.5 KiB, 27.1 MiB, 80.0 GiB. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }

    /** How long ago, in the largest whole unit: 42s, 5m, 3h, 2d; {@code -} for no time. */
    public static String age(String isoInstant, Instant now) {
        if (isoInstant == null || isoInstant.isBlank()) {
            return "-";
        }
        Instant then;
        try {
            then = Instant.parse(isoInstant);
        } catch (DateTimeParseException e) {
            return isoInstant;
        }
        long seconds = Math.max(0, Duration.between(then, now).getSeconds());
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 2 * 3600) {
            return seconds / 60 + "m";
        }
        if (seconds < 2 * 86400) {
            return seconds / 3600 + "h";
        }
        return seconds / 86400 + "d";
    }

    /** 1,234,567. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    public static String percent(double value) {
        return String.format(Locale.ROOT, "%.0f%%", value);
    }
}
