package dev.gpufleet.registry.hfconfig;

import dev.gpufleet.registry.analysis.ModelArchitecture;
import dev.gpufleet.registry.hub.HubFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfConfigParserTest {
    final HfConfigParser parser = new HfConfigParser();

    static String fixture(String name) throws IOException {
        try (InputStream in = HfConfigParserTest.class.getResourceAsStream("/hfconfig/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Qwen/Qwen2.5-0.5B-Instruct's listing on ModelScope (same fixture as the hub tests use). */
    static final List<HubFile> QWEN_FILES = List.of(new HubFile("config.json", 659),
            new HubFile("model.safetensors", 988097824L), new HubFile("tokenizer.json", 7031645),
            new HubFile("onnx/model.onnx", 1_996_000_000L));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            // fixture | arch | category | layers | heads | kv | hidden | ffn | ctx | vocab | headDim | quant
            "qwen2.5-0.5b-instruct.config.json | Qwen2ForCausalLM | llm | 24 | 14 | 2 | 896 | 4864 | 32768 | 151936 | 64 | BF16",
            "llama-3.1-8b-instruct.config.json | LlamaForCausalLM | llm | 32 | 32 | 8 | 4096 | 14336 | 131072 | 128256 | 128 | BF16",
            "bge-m3.config.json | XLMRobertaModel | embedding | 24 | 16 | 16 | 1024 | 4096 | 8194 | 250002 | 64 | F32",
            "bge-reranker-v2-m3.config.json | XLMRobertaForSequenceClassification | reranker | 24 | 16 | 16 | 1024 | 4096 | 8194 | 250002 | 64 | F32",
            "qwen2.5-7b-instruct-awq.config.json | Qwen2ForCausalLM | llm | 28 | 28 | 4 | 3584 | 18944 | 32768 | 152064 | 128 | AWQ",
            "chatglm3-6b.config.json | ChatGLMModel | llm | 28 | 32 | 2 | 4096 | 13696 | 8192 | 65024 | 128 | F16",
            "llava-1.5-7b-hf.config.json | LlavaForConditionalGeneration | llm | 0 | 0 | 0 | 0 | 0 | 4096 | 32064 | 0 | F16",
    })
    void readsRealConfigs(String fixture, String arch, String category, int layers, int heads, int kv, int hidden,
            int ffn, int ctx, int vocab, int headDim, String quant) throws IOException {
        ConfigAnalysis analysis = parser.parse("owner/model", fixture(fixture), null, List.of());
        assertTrue(analysis.ok(), analysis.problem());
        ModelArchitecture a = analysis.architecture();
        assertEquals(arch, a.architecture());
        assertEquals(category, analysis.category().wireName());
        assertEquals(List.of(layers, heads, kv, hidden, ffn, ctx, vocab, headDim), List.of(a.layers(), a.headCount(),
                a.headCountKv(), a.embeddingLength(), a.feedForwardLength(), a.contextLength(), a.vocabSize(),
                a.headDim()));
        assertEquals(quant, a.quantization());
        assertEquals(category.equals("embedding"), a.embeddingModel());
        assertEquals(category.equals("reranker"), a.rerankerModel());
    }

    @Test
    void weightsComeFromTheSafetensorsIndexFirst() throws IOException {
        ConfigAnalysis analysis = parser.parse("meta-llama/Llama-3.1-8B-Instruct",
                fixture("llama-3.1-8b-instruct.config.json"), fixture("llama-3.1-8b-instruct.safetensors.index.json"),
                List.of(new HubFile("model-00001-of-00004.safetensors", 4976698672L)));
        assertEquals("safetensors index", analysis.weightSource());
        ModelArchitecture a = analysis.architecture();
        assertEquals(16060522496L, a.weightBytes());
        assertEquals(16060522496L, a.otherBytes());
        assertEquals(List.of(), a.layerWeightBytes());
        assertEquals(16060522496L / 2, a.parameterCount(), "bf16: two bytes a parameter");
    }

    @Test
    void withoutAnIndexWeightsAreTheRootSafetensorsFiles() throws IOException {
        ConfigAnalysis analysis = parser.parse("Qwen/Qwen2.5-0.5B-Instruct",
                fixture("qwen2.5-0.5b-instruct.config.json"), null, QWEN_FILES);
        assertEquals("safetensors files", analysis.weightSource());
        assertEquals(988097824L, analysis.architecture().weightBytes(), "onnx/ is not counted");
        assertEquals(988097824L, analysis.architecture().fileBytes());
        assertEquals(494048912L, analysis.architecture().parameterCount());
    }

    @Test
    void pytorchBinWeightsCountWhenThereAreNoSafetensors() throws IOException {
        ConfigAnalysis analysis = parser.parse("BAAI/bge-m3", fixture("bge-m3.config.json"), null,
                List.of(new HubFile("pytorch_model.bin", 2271145830L), new HubFile("training_args.bin", 4000),
                        new HubFile("colbert_linear.pt", 2100057)));
        assertEquals("weight files", analysis.weightSource());
        assertEquals(2271145830L + 2100057, analysis.architecture().weightBytes());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "Systran/faster-whisper-large-v3, speech-to-text, faster-whisper",
            "Systran/faster-distil-whisper-medium.en, speech-to-text, faster-whisper",
            "gpustack/faster-whisper-tiny.en, speech-to-text, faster-whisper",
            "gpustack/CosyVoice-300M-Instruct, text-to-speech, CosyVoice",
            "iic/CosyVoice-300M-25Hz, text-to-speech, CosyVoice",
            "iic/CosyVoice2-0.5B, text-to-speech, CosyVoice",
            "nari-labs/Dia-1.6B, text-to-speech, Dia",
    })
    void theSeedsVoxBoxModelsAreSpeech(String repo, String category, String family) throws IOException {
        String config = repo.contains("whisper") ? fixture("faster-whisper-large-v3.config.json") : null;
        ConfigAnalysis analysis = parser.parse(repo, config, null, List.of(new HubFile("model.bin", 3087284237L)));
        assertTrue(analysis.ok(), analysis.problem());
        assertEquals(category, analysis.category().wireName());
        assertEquals(family, analysis.architecture().architecture());
    }

    @Test
    void aRenamedFasterWhisperCopyIsKnownByItsFiles() throws IOException {
        ConfigAnalysis analysis = parser.parse("someone/my-asr", fixture("faster-whisper-large-v3.config.json"), null,
                List.of(new HubFile("model.bin", 3087284237L), new HubFile("tokenizer.json", 2480617),
                        new HubFile("config.json", 2394)));
        assertEquals(ModelCategory.SPEECH_TO_TEXT, analysis.category());
        assertEquals(3087284237L, analysis.architecture().weightBytes());
    }

    @Test
    void anUnknownArchitectureIsReportedWithWhatWasRead() {
        ConfigAnalysis analysis = parser.parse("x/y",
                "{\"architectures\":[\"FancyNewThing\"],\"num_hidden_layers\":4,\"hidden_size\":64}", null, List.of());
        assertFalse(analysis.ok());
        assertNull(analysis.category());
        assertNotNull(analysis.architecture());
        assertEquals(4, analysis.architecture().layers());
        assertTrue(analysis.problem().contains("FancyNewThing"), analysis.problem());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "'' | not a JSON object",
            "[1,2] | not a JSON object",
            "{\"architectures\": | not valid JSON",
            "{} | names no architecture",
            "{\"architectures\":[]} | names no architecture",
            "{\"architectures\":[42]} | names no architecture",
            "{\"architectures\":[\"LlamaForCausalLM\"],\"num_hidden_layers\":\"32\"} | num_hidden_layers must be a non-negative integer, got \"32\"",
            "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":-1} | hidden_size must be a non-negative integer",
            "{\"architectures\":[\"LlamaForCausalLM\"],\"vocab_size\":1e40} | vocab_size must be a non-negative integer",
            "{\"architectures\":[\"LlamaForCausalLM\"],\"num_attention_heads\":99999999999} | num_attention_heads must be",
            "{\"architectures\":[\"LlamaForCausalLM\"],\"text_config\":{\"num_hidden_layers\":[1]}} | num_hidden_layers must be",
    })
    void badConfigsGiveAProblemNotAnException(String config, String expected) {
        ConfigAnalysis analysis = parser.parse("x/y", config, null, List.of());
        assertFalse(analysis.ok());
        assertTrue(analysis.problem().contains(expected), analysis.problem());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"metadata\":", "not json"})
    void aBadIndexIsNamed(String index) throws IOException {
        ConfigAnalysis analysis = parser.parse("x/y", fixture("qwen2.5-0.5b-instruct.config.json"), index, List.of());
        assertFalse(analysis.ok());
        assertTrue(analysis.problem().contains("model.safetensors.index.json"), analysis.problem());
    }

    @Test
    void deeplyNestedJsonIsAProblemNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        ConfigAnalysis analysis = parser.parse("x/y", "{\"architectures\":" + deep + "}", null, List.of());
        assertFalse(analysis.ok());
        assertTrue(analysis.problem().startsWith("config.json is not valid JSON"), analysis.problem());
    }

    @Test
    void noConfigAndNotASpeechModelIsAProblem() {
        ConfigAnalysis analysis = parser.parse("x/y", null, null, List.of(new HubFile("weights.safetensors", 1)));
        assertEquals("the repository has no config.json", analysis.problem());
    }
}
