package dev.gpufleet.registry.backends;

import dev.gpufleet.events.ModelSource;

import java.util.List;
import java.util.Locale;

/**
 * Picks the inference backend when the operator sets none (DESIGN §4): a GGUF file → llama-box, a known speech
 * model → vox-box, anything else → vLLM. MindIE is only ever chosen explicitly.
 *
 * <p>The speech-model list is deliberately short (name families from the seed's vox-box table); the full
 * per-model platform table belongs to a later issue.
 */
public final class BackendSelector {
    public static final String LLAMA_BOX = "llama-box";
    public static final String VLLM = "vllm";
    public static final String VOX_BOX = "vox-box";
    public static final String MINDIE = "mindie";

    public static final List<String> ALL = List.of(LLAMA_BOX, VLLM, VOX_BOX, MINDIE);

    public static final String SPEECH_TO_TEXT = "speech-to-text";
    public static final String TEXT_TO_SPEECH = "text-to-speech";

    /** Lower-case name prefixes of the model families vox-box serves. */
    private static final List<String> SPEECH_MODEL_PREFIXES = List.of(
            "faster-whisper-", "faster-distil-whisper-", "cosyvoice-300m", "cosyvoice2-", "dia-1.6b");

    private BackendSelector() {
    }

    public static String select(ModelSource source, List<String> categories) {
        if (isGguf(source)) {
            return LLAMA_BOX;
        }
        if (isKnownSpeechModel(source) || categories.contains(SPEECH_TO_TEXT)
                || categories.contains(TEXT_TO_SPEECH)) {
            return VOX_BOX;
        }
        return VLLM;
    }

    /** The file the source names (a glob is fine, e.g. {@code *Q4_K_M*.gguf}) is a GGUF file. */
    public static boolean isGguf(ModelSource source) {
        String file = switch (source.type()) {
            case ModelSource.HUGGINGFACE -> source.fileName();
            case ModelSource.MODELSCOPE -> source.filePath();
            case ModelSource.LOCAL_PATH -> source.path();
            default -> null;
        };
        return file != null && file.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    static boolean isKnownSpeechModel(ModelSource source) {
        String id = switch (source.type()) {
            case ModelSource.HUGGINGFACE -> source.repoId();
            case ModelSource.MODELSCOPE -> source.modelId();
            case ModelSource.LOCAL_PATH -> source.path();
            default -> null;
        };
        if (id == null) {
            return false;
        }
        String trimmed = id.replaceAll("[/\\\\]+$", "");
        String lastSegment = trimmed.substring(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1)
                .toLowerCase(Locale.ROOT);
        return SPEECH_MODEL_PREFIXES.stream().anyMatch(lastSegment::startsWith);
    }
}
