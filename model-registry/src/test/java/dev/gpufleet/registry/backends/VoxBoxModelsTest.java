package dev.gpufleet.registry.backends;

import dev.gpufleet.events.ModelSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VoxBoxModelsTest {

    /** Every repository of every model in the seed's table, on both hubs, selects vox-box. */
    static Stream<Arguments> everyRepoOfTheTable() {
        return VoxBoxModels.MODELS.stream().flatMap(model -> model.repos().stream()
                .flatMap(repo -> Stream.of(
                        Arguments.of(new ModelSource(ModelSource.HUGGINGFACE, repo, null, null, null, null, null),
                                model.name()),
                        Arguments.of(new ModelSource(ModelSource.MODELSCOPE, null, null, null, repo, null, null),
                                model.name()),
                        Arguments.of(ModelSource.localPath("/models/" + repo.substring(repo.indexOf('/') + 1)),
                                model.name()))));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyRepoOfTheTable")
    void everyModelOfTheSeedTableGoesToVoxBox(ModelSource source, String model) {
        assertEquals(BackendSelector.VOX_BOX, BackendSelector.select(source, List.of()));
        assertEquals(model, BackendSelector.speechModel(source).orElseThrow().name());
    }

    @Test
    void theTableHasTheSeedsEighteenModels() {
        assertEquals(18, VoxBoxModels.MODELS.size());
        assertEquals(12, VoxBoxModels.MODELS.stream()
                .filter(m -> m.category().equals(BackendSelector.SPEECH_TO_TEXT)).count());
    }

    @ParameterizedTest(name = "{0} on os={1} arch={2} -> {3}")
    @CsvSource(nullValues = "-", textBlock = """
            Systran/faster-whisper-large-v3,       linux,   amd64, true
            Systran/faster-whisper-large-v3,       linux,   arm64, true
            Systran/faster-whisper-large-v3,       darwin,  arm64, true
            Systran/faster-whisper-large-v3,       windows, amd64, true
            Systran/faster-whisper-tiny.en,        windows, -,     true
            Systran/faster-distil-whisper-medium.en, linux, arm64, true
            gpustack/CosyVoice-300M,               linux,   amd64, true
            gpustack/CosyVoice-300M,               linux,   arm64, false
            gpustack/CosyVoice-300M,               windows, amd64, false
            gpustack/CosyVoice-300M-SFT,           darwin,  arm64, true
            iic/CosyVoice-300M-25Hz,               linux,   -,     true
            gpustack/CosyVoice2-0.5B,              windows, -,     false
            gpustack/CosyVoice2-0.5B,              LINUX,   ARM64, false
            nari-labs/Dia-1.6B,                    linux,   arm64, false
            nari-labs/Dia-1.6B,                    darwin,  -,     true
            nari-labs/Dia-1.6B,                    -,       -,     true
            someone/faster-whisper-large-v3-turbo, windows, -,     true
            someone/CosyVoice2-0.5B-finetuned,     windows, -,     false
            """)
    void platformMatrixOfTheSeed(String repo, String os, String arch, boolean runs) {
        ModelSource source = new ModelSource(ModelSource.HUGGINGFACE, repo, null, null, null, null, null);
        assertEquals(runs, BackendSelector.speechModel(source).orElseThrow().runsOn(os, arch));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(textBlock = """
            Qwen/Qwen2.5-7B-Instruct
            openai/whisper-large-v3
            someone/cosyvoice
            """)
    void otherModelsAreNotInTheTable(String repo) {
        ModelSource source = new ModelSource(ModelSource.HUGGINGFACE, repo, null, null, null, null, null);
        assertEquals(java.util.Optional.empty(), BackendSelector.speechModel(source));
    }
}
