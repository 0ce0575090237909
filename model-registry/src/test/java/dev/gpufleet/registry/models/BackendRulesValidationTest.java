package dev.gpufleet.registry.models;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The backend document's rules the registry enforces on a spec (docs/backends.md names each test). */
class BackendRulesValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WHISPER = "\"source\":{\"type\":\"local_path\",\"path\":\"/m/faster-whisper-tiny\"}";
    private static final String HF = "\"source\":{\"type\":\"huggingface\",\"repo_id\":\"a/b\"}";

    private static ModelSpecValidator.Result validate(String body) throws Exception {
        return ModelSpecValidator.validate(JSON.readValue(body, ModelSpecRequest.class));
    }

    @Test
    void voxBoxFallsBackToTheCpuByItself() throws Exception {
        ModelSpecValidator.Result result = validate("{\"name\":\"asr\"," + WHISPER + "}");
        assertEquals("vox-box", result.spec().backend());
        assertTrue(result.spec().cpuOffloading(), "vox-box may run on the CPU unless the spec says otherwise");
        assertFalse(validate("{\"name\":\"asr\"," + WHISPER + ",\"cpu_offloading\":false}").spec().cpuOffloading(),
                "an explicit false keeps it on GPUs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"embedding", "reranker", "image", "text-to-speech", "speech-to-text"})
    void mindieRefusesEmbeddingRerankerImageAndAudioModels(String category) throws Exception {
        ModelSpecValidator.Result result = validate("{\"name\":\"m\"," + HF + ",\"backend\":\"mindie\","
                + "\"categories\":[\"" + category + "\"]}");
        assertFalse(result.valid());
        assertEquals("categories[0]: backend mindie serves language and multimodal language models only, not '"
                + category + "' (embedding, reranker, image and audio models are not supported)",
                result.errors().get(0).toString());
    }

    @Test
    void mindieTakesLanguageModels() throws Exception {
        assertTrue(validate("{\"name\":\"m\"," + HF + ",\"backend\":\"mindie\",\"categories\":[\"llm\"]}").valid());
    }

    @Test
    void allowOvercommitReachesTheSpecOnlyWithAGpuSelector() throws Exception {
        ModelSpecValidator.Result with = validate("{\"name\":\"m\"," + HF + ",\"gpu_selector\":[\"w:cuda:0\"],"
                + "\"allow_overcommit\":true}");
        assertTrue(with.spec().allowOvercommit());
        ModelSpecValidator.Result without = validate("{\"name\":\"m\"," + HF + ",\"allow_overcommit\":true}");
        assertFalse(without.valid());
        assertEquals("allow_overcommit: only with a gpu_selector: automatic placement never overcommits; select "
                + "the workers' GPUs or leave it false", without.errors().get(0).toString());
        assertFalse(validate("{\"name\":\"m\"," + HF + "}").spec().allowOvercommit());
    }

    @Test
    void analysisSetsTheRerankerOrEmbeddingCategoryOfASpecThatNamesNone() {
        ModelSpec spec = new ModelSpec("r", ModelSource.localPath("/m/r.gguf"), "llama-box", null, List.of(),
                Map.of(), 1, List.of(), "spread", true, false, Map.of(), List.of(), true);
        assertEquals(List.of("reranker"), DetectedCategories.apply(spec, analysed(false, true)).categories());
        assertEquals(List.of("embedding"), DetectedCategories.apply(spec, analysed(true, false)).categories());
        assertSame(spec, DetectedCategories.apply(spec, analysed(false, false)));
        assertSame(spec, DetectedCategories.apply(spec, new ModelAnalysis(ModelAnalysis.State.PENDING, "later")));
        ModelSpec declared = new ModelSpec("r", spec.source(), "llama-box", null, List.of(), Map.of(), 1,
                List.of("llm"), "spread", true, false, Map.of(), List.of(), true);
        assertSame(declared, DetectedCategories.apply(declared, analysed(false, true)),
                "categories the user set are kept");
    }

    private static ModelAnalysis analysed(boolean embedding, boolean reranker) {
        return new ModelAnalysis(ModelAnalysis.State.ANALYZED, null, new ModelFacts("bert", "Q8_0", 1, 2, 2, 2, 64, 512,
                1024, embedding, reranker, null));
    }

    @Test
    void noAnalysisMeansNoDetectedCategory() {
        assertEquals(List.of(), DetectedCategories.of(null));
    }
}
