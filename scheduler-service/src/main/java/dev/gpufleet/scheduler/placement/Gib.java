package dev.gpufleet.scheduler.placement;

/** Bytes as the GiB that placement messages show. */
public final class Gib {
    private Gib() {
    }

    /** Bytes as GiB with one decimal; nothing allocatable shows as 0.0 GiB. */
    public static String of(long bytes) {
        // not String.format: a no-fit message formats a few numbers for every worker of the fleet
        long tenths = Math.round(Math.max(0, bytes) * 10.0 / PlacementSettings.GIB);
        return (tenths / 10) + "." + (tenths % 10) + " GiB";
    }
}
