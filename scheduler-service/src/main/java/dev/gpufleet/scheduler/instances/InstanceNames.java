package dev.gpufleet.scheduler.instances;

import java.util.Locale;
import java.util.random.RandomGenerator;

/** Human-readable instance names: the model name made DNS-label friendly, then 6 random hex digits. */
public final class InstanceNames {
    private static final int MAX_PREFIX = 56;

    private InstanceNames() {
    }

    public static String of(String modelName, RandomGenerator random) {
        return prefix(modelName) + "-" + String.format("%06x", random.nextInt(1 << 24));
    }

    static String prefix(String modelName) {
        String slug = (modelName == null ? "" : modelName).toLowerCase(Locale.ROOT)
                .replaceAll("[^a-z0-9]+", "-")
                .replaceAll("^-+|-+$", "");
        if (slug.length() > MAX_PREFIX) {
            slug = slug.substring(0, MAX_PREFIX).replaceAll("-+$", "");
        }
        return slug.isEmpty() ? "instance" : slug;
    }
}
