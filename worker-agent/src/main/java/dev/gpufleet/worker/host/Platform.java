package dev.gpufleet.worker.host;

import java.util.Locale;

/** The os and arch names gpufleet uses in labels and backend rules, GPUStack's spelling (Go's GOOS/GOARCH). */
public final class Platform {
    private Platform() {
    }

    /** {@code linux}, {@code darwin}, {@code windows}; anything else lower-cased without spaces. */
    public static String os(String osName) {
        String name = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        if (name.startsWith("linux")) {
            return "linux";
        }
        if (name.startsWith("mac") || name.startsWith("darwin")) {
            return "darwin";
        }
        if (name.startsWith("windows")) {
            return "windows";
        }
        return name.isBlank() ? "unknown" : name.replaceAll("\\s+", "");
    }

    /** {@code amd64}, {@code arm64}; anything else lower-cased. */
    public static String arch(String osArch) {
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x86-64":
            case "x64":
                return "amd64";
            case "aarch64":
            case "arm64":
                return "arm64";
            default:
                return arch.isBlank() ? "unknown" : arch;
        }
    }
}
