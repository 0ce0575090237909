package dev.gpufleet.registry.hfconfig;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The seed's vox-box model table: speech models that have no vLLM architecture (CTranslate2 faster-whisper,
 * CosyVoice, Dia). Recognised by repository name (the seed's Hugging Face and ModelScope ids) or, for copies under
 * other names, by the files vox-box's estimator looks for. Pure.
 */
public final class SpeechModels {
    /** The seed's table: repository name (without owner) pattern → category. */
    record Entry(Pattern name, ModelCategory category, String family) {
    }

    static final List<Entry> TABLE = List.of(
            new Entry(Pattern.compile("faster-(distil-)?whisper-(tiny|small|medium|large-v[123])(\\.en)?",
                    Pattern.CASE_INSENSITIVE), ModelCategory.SPEECH_TO_TEXT, "faster-whisper"),
            new Entry(Pattern.compile("CosyVoice-300M(-Instruct|-SFT|-25Hz)?", Pattern.CASE_INSENSITIVE),
                    ModelCategory.TEXT_TO_SPEECH, "CosyVoice"),
            new Entry(Pattern.compile("CosyVoice2-0\\.5B", Pattern.CASE_INSENSITIVE),
                    ModelCategory.TEXT_TO_SPEECH, "CosyVoice"),
            new Entry(Pattern.compile("Dia-1\\.6B", Pattern.CASE_INSENSITIVE), ModelCategory.TEXT_TO_SPEECH, "Dia"));

    private SpeechModels() {
    }

    /** A match: which vox-box family and what it does. */
    public record Match(String family, ModelCategory category) {
    }

    /**
     * {@code repoId} is {@code owner/name} (or a local directory path); {@code fileNames} the repository's file
     * paths (may be empty).
     */
    public static Optional<Match> identify(String repoId, List<String> fileNames) {
        String name = repoId == null ? "" : repoId.replaceAll("/+$", "");
        name = name.substring(name.lastIndexOf('/') + 1);
        for (Entry entry : TABLE) {
            if (entry.name().matcher(name).matches()) {
                return Optional.of(new Match(entry.family(), entry.category()));
            }
        }
        Set<String> files = fileNames.stream().map(f -> f.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        if (files.contains("cosyvoice.yaml") || files.contains("cosyvoice2.yaml")) {
            return Optional.of(new Match("CosyVoice", ModelCategory.TEXT_TO_SPEECH));
        }
        // faster-whisper (CTranslate2): vox-box's estimator looks for model.bin beside tokenizer.json.
        if (files.contains("model.bin") && files.contains("tokenizer.json")) {
            return Optional.of(new Match("faster-whisper", ModelCategory.SPEECH_TO_TEXT));
        }
        return Optional.empty();
    }
}
