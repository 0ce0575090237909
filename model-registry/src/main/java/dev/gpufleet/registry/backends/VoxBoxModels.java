package dev.gpufleet.registry.backends;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The seed's vox-box model table: each speech model, its task, and the platforms it runs on. Platforms use the
 * worker labels the agent reports: {@code os} linux / darwin / windows, {@code arch} amd64 / arm64.
 */
public final class VoxBoxModels {
    public static final String LINUX_AMD64 = "linux/amd64";
    public static final String LINUX_ARM64 = "linux/arm64";
    public static final String DARWIN = "darwin";
    public static final String WINDOWS = "windows";

    /** faster-whisper runs everywhere vox-box does. */
    private static final Set<String> EVERYWHERE = Set.of(LINUX_AMD64, LINUX_ARM64, DARWIN, WINDOWS);
    /** CosyVoice and Dia: Linux on AMD64 and macOS only (the seed: not Linux ARM, not Windows). */
    private static final Set<String> LINUX_AMD64_AND_MAC = Set.of(LINUX_AMD64, DARWIN);

    /**
     * @param name      the model's name as the seed writes it, which is also its repository name on the hubs
     * @param category  {@link BackendSelector#SPEECH_TO_TEXT} or {@link BackendSelector#TEXT_TO_SPEECH}
     * @param platforms where it runs: {@code linux/amd64}, {@code linux/arm64}, {@code darwin}, {@code windows}
     * @param repos     where the seed says to get it (Hugging Face and ModelScope ids)
     */
    public record Model(String name, String category, Set<String> platforms, List<String> repos) {
        public Model {
            platforms = Set.copyOf(platforms);
            repos = List.copyOf(repos);
        }

        /** Whether it runs on a worker with these labels; a null label means "any", so only a named one can rule out. */
        public boolean runsOn(String os, String arch) {
            if (os == null) {
                return true;
            }
            String normalizedOs = os.toLowerCase(Locale.ROOT);
            if (!"linux".equals(normalizedOs)) {
                return platforms.contains(normalizedOs);
            }
            if (arch == null) {
                return platforms.contains(LINUX_AMD64) || platforms.contains(LINUX_ARM64);
            }
            return platforms.contains("linux/" + arch.toLowerCase(Locale.ROOT));
        }
    }

    public static final List<Model> MODELS = List.of(
            stt("Faster-whisper-large-v3", "Systran/faster-whisper-large-v3", "gpustack/faster-whisper-large-v3"),
            stt("Faster-whisper-large-v2", "Systran/faster-whisper-large-v2", "gpustack/faster-whisper-large-v2"),
            stt("Faster-whisper-large-v1", "Systran/faster-whisper-large-v1", "gpustack/faster-whisper-large-v1"),
            stt("Faster-whisper-medium", "Systran/faster-whisper-medium", "gpustack/faster-whisper-medium"),
            stt("Faster-whisper-medium.en", "Systran/faster-whisper-medium.en", "gpustack/faster-whisper-medium.en"),
            stt("Faster-whisper-small", "Systran/faster-whisper-small", "gpustack/faster-whisper-small"),
            stt("Faster-whisper-small.en", "Systran/faster-whisper-small.en", "gpustack/faster-whisper-small.en"),
            stt("Faster-distil-whisper-large-v3", "Systran/faster-distil-whisper-large-v3",
                    "gpustack/faster-distil-whisper-large-v3"),
            stt("Faster-distil-whisper-large-v2", "Systran/faster-distil-whisper-large-v2",
                    "gpustack/faster-distil-whisper-large-v2"),
            stt("Faster-distil-whisper-medium.en", "Systran/faster-distil-whisper-medium.en",
                    "gpustack/faster-distil-whisper-medium.en"),
            stt("Faster-whisper-tiny", "Systran/faster-whisper-tiny", "gpustack/faster-whisper-tiny"),
            stt("Faster-whisper-tiny.en", "Systran/faster-whisper-tiny.en", "gpustack/faster-whisper-tiny.en"),
            tts("CosyVoice-300M-Instruct", "gpustack/CosyVoice-300M-Instruct"),
            tts("CosyVoice-300M-SFT", "gpustack/CosyVoice-300M-SFT", "iic/CosyVoice-300M-SFT"),
            tts("CosyVoice-300M", "gpustack/CosyVoice-300M"),
            tts("CosyVoice-300M-25Hz", "iic/CosyVoice-300M-25Hz"),
            tts("CosyVoice2-0.5B", "gpustack/CosyVoice2-0.5B", "iic/CosyVoice2-0.5B"),
            tts("Dia-1.6B", "nari-labs/Dia-1.6B"));

    /**
     * Lower-case name prefixes of the families in the table, so a fine-tune or a renamed copy of a known model
     * (e.g. {@code faster-whisper-large-v3-turbo}) still goes to vox-box, as DESIGN §4 selects by family.
     */
    static final List<String> FAMILY_PREFIXES = List.of(
            "faster-whisper-", "faster-distil-whisper-", "cosyvoice-300m", "cosyvoice2-", "dia-1.6b");

    private VoxBoxModels() {
    }

    /** The table row whose name is the last segment of {@code id} (a repo id or a path), ignoring case. */
    public static Optional<Model> byId(String id) {
        String name = lastSegment(id);
        if (name == null) {
            return Optional.empty();
        }
        return MODELS.stream().filter(model -> model.name().equalsIgnoreCase(name)).findFirst();
    }

    /** The id's last segment starts like one of the table's families. */
    public static boolean isKnownFamily(String id) {
        String name = lastSegment(id);
        return name != null && FAMILY_PREFIXES.stream().anyMatch(name.toLowerCase(Locale.ROOT)::startsWith);
    }

    /** The family a name belongs to, for a fine-tune's platforms: the longest table name it starts with. */
    public static Optional<Model> byFamily(String id) {
        String name = lastSegment(id);
        if (name == null) {
            return Optional.empty();
        }
        String lower = name.toLowerCase(Locale.ROOT);
        return MODELS.stream().filter(model -> lower.startsWith(model.name().toLowerCase(Locale.ROOT)))
                .max((a, b) -> Integer.compare(a.name().length(), b.name().length()));
    }

    private static String lastSegment(String id) {
        if (id == null) {
            return null;
        }
        String trimmed = id.replaceAll("[/\\\\]+$", "");
        String last = trimmed.substring(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1);
        return last.isEmpty() ? null : last;
    }

    private static Model stt(String name, String... repos) {
        return new Model(name, BackendSelector.SPEECH_TO_TEXT, EVERYWHERE, List.of(repos));
    }

    private static Model tts(String name, String... repos) {
        return new Model(name, BackendSelector.TEXT_TO_SPEECH, LINUX_AMD64_AND_MAC, List.of(repos));
    }
}
