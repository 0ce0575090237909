package dev.gpufleet.worker.download;

import java.nio.file.Path;
import java.util.Locale;

/** Whether the bytes still to download fit on the disk with the margin left over. Pure. */
final class DiskCheck {
    private DiskCheck() {
    }

    /** @return null when it fits, else the ERROR message */
    static String problem(long needed, long margin, long usable, Path dir) {
        if (needed + margin <= usable) {
            return null;
        }
        return "not enough free disk for the model: the download needs " + size(needed) + " more plus "
                + size(margin) + " kept free (gpufleet.worker.download.disk-margin), " + size(needed + margin)
                + " in all, but " + dir + " has " + size(usable) + " free";
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
