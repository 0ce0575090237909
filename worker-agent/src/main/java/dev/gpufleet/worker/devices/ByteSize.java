package dev.gpufleet.worker.devices;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes like {@code 24GiB}, {@code 512MiB}, {@code 80GB}: binary units are powers of 1024, decimal ones of 1000. */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("", 1L), Map.entry("b", 1L),
            Map.entry("kib", 1L << 10), Map.entry("mib", 1L << 20), Map.entry("gib", 1L << 30),
            Map.entry("tib", 1L << 40),
            Map.entry("kb", 1_000L), Map.entry("mb", 1_000_000L), Map.entry("gb", 1_000_000_000L),
            Map.entry("tb", 1_000_000_000_000L));
    static final String ALLOWED = "a number with B, KiB, MiB, GiB, TiB, KB, MB, GB or TB, e.g. 24GiB";

    private ByteSize() {
    }

    /** @throws IllegalArgumentException naming what was wrong and what is allowed */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        Long unit = m.matches() ? UNITS.get(m.group(2)) : null;
        if (unit == null) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a size (" + ALLOWED + ")");
        }
        double bytes = Double.parseDouble(m.group(1)) * unit;
        if (bytes >= Long.MAX_VALUE) {
            throw new IllegalArgumentException("'" + text.trim() + "' is too large");
        }
        return Math.round(bytes);
    }
}
