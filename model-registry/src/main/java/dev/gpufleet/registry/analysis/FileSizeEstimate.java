package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceEstimate;

import java.util.Locale;

/**
 * The estimate the registry can make before analysis has read the GGUF header or the hub config:
 * for a local GGUF file it can read, the file's size plus {@link #ALLOWANCE_BYTES}, as RAM and as VRAM alike.
 * A local path it cannot read fails the analysis, saying why (the model stays registered); everything else
 * waits for the full analysis. Pure.
 */
public final class FileSizeEstimate {
    /**
     * The weights are loaded whole; this fixed allowance stands for the KV cache and compute buffers on top of them
     * until the real estimator sizes those from the model's context length and architecture.
     */
    public static final long ALLOWANCE_BYTES = 256L << 20;
    static final String LATER = "full analysis comes later";

    private FileSizeEstimate() {
    }

    /** @param file what the registry's host sees at the source's path; only read for a local_path source */
    public static Analysis of(ModelSource source, LocalFile file) {
        if (!ModelSource.LOCAL_PATH.equals(source.type()) || file == null) {
            return new Analysis(ModelAnalysis.pending(), null);
        }
        String path = source.path();
        switch (file.kind()) {
            case MISSING:
                return failed("cannot read " + path + ": no such file or directory");
            case UNREADABLE:
                return failed("cannot read " + path + ": " + file.problem());
            case DIRECTORY:
                return pending(path + " is a directory; " + LATER);
            default:
                break;
        }
        if (!path.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            return pending("not a GGUF file; " + LATER);
        }
        long needed = file.sizeBytes() + ALLOWANCE_BYTES;
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.ANALYZED,
                "file size " + size(file.sizeBytes()) + "; " + LATER), new ResourceEstimate(needed, needed));
    }

    private static Analysis failed(String message) {
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.FAILED, message), null);
    }

    private static Analysis pending(String message) {
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.PENDING, message), null);
    }

    /** Bytes in the largest binary unit that keeps the number at 1 or more, one decimal. */
    static String size(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
