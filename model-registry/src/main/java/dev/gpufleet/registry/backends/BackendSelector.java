package dev.gpufleet.registry.backends;

import dev.gpufleet.events.ModelSource;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Picks the inference backend when the operator sets none (DESIGN §4): a GGUF file → llama-box, a known speech
 * model → vox-box, anything else → vLLM. MindIE is only ever chosen explicitly.
 *
 * <p>Known speech models are the families of the seed's vox-box table ({@link VoxBoxModels}).
 */
public final class BackendSelector {
    // constants for switch labels; BackendTest checks them against dev.gpufleet.events.Backend
    public static final String LLAMA_BOX = "llama-box";
    public static final String VLLM = "vllm";
    public static final String VOX_BOX = "vox-box";
    public static final String MINDIE = "mindie";

    public static final List<String> ALL = dev.gpufleet.events.Backend.NAMES;

    public static final String SPEECH_TO_TEXT = "speech-to-text";
    public static final String TEXT_TO_SPEECH = "text-to-speech";

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
        return VoxBoxModels.isKnownFamily(modelId(source));
    }

    /** The vox-box table row for this source: the exact model, else the family it was fine-tuned from. */
    public static Optional<VoxBoxModels.Model> speechModel(ModelSource source) {
        String id = modelId(source);
        return VoxBoxModels.byId(id).or(() -> VoxBoxModels.byFamily(id));
    }

    /** What names the model: the repo or model id on a hub, the path for a local model. */
    private static String modelId(ModelSource source) {
        return switch (source.type()) {
            case ModelSource.HUGGINGFACE -> source.repoId();
            case ModelSource.MODELSCOPE -> source.modelId();
            case ModelSource.LOCAL_PATH -> source.path();
            default -> null;
        };
    }
}
