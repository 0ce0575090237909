package dev.gpufleet.registry.hub;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.ShardedSizing;
import dev.gpufleet.registry.analysis.AnalysisStep;
import dev.gpufleet.registry.analysis.RemoteAnalysis;
import dev.gpufleet.localstack.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The background analysis of hub sources against a local server that answers like the hubs. */
class RemoteAnalysisTest {
    private static final Duration SHORT = Duration.ofMillis(800);
    private FakeHub hub;

    @BeforeEach
    void start() throws Exception {
        byte[] config;
        try (InputStream in = RemoteAnalysisTest.class.getResourceAsStream("/hfconfig/qwen2.5-0.5b-instruct.config.json")) {
            config = in.readAllBytes();
        }
        hub = new FakeHub()
                .json(HubClientTest.HF_LIST, "hf-qwen2.5-0.5b-instruct-gguf.json")
                .jsonText(HubClientTest.MS_LIST, """
                        {"Code": 200, "Data": {"Files": [
                          {"Name": "config.json", "Path": "config.json", "Revision": "master", "Size": %d, "Type": "blob"},
                          {"Name": "model.safetensors", "Path": "model.safetensors", "Revision": "master",
                           "Size": 988097824, "Type": "blob", "IsLFS": true}]},
                         "Message": "success", "Success": true}""".formatted(config.length))
                .file("config.json", config);
        java.nio.file.Path tiny = java.nio.file.Files.createTempFile("tiny", ".gguf");
        dev.gpufleet.demomodel.DemoModel.write(dev.gpufleet.demomodel.Preset.TINY, 5, tiny);
        hub.file("qwen2.5-0.5b-instruct-q4_k_m.gguf", java.nio.file.Files.readAllBytes(tiny));
        java.nio.file.Files.delete(tiny);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private RemoteAnalysis analysisAgainst(URI endpoint) {
        return new RemoteAnalysis(new HubClients(
                new HuggingFaceClient(new HubSettings(endpoint, Optional.empty(), HubConfig.HUGGING_FACE_TOKEN_SETTING,
                        SHORT, SHORT)),
                new ModelScopeClient(new HubSettings(endpoint, Optional.empty(), "gpufleet.registry.modelscope.token",
                        SHORT, SHORT))));
    }

    private static ModelSpec huggingFace(String repo, String file, String... parameters) {
        return spec(new ModelSource(ModelSource.HUGGINGFACE, repo, file, null, null, null, null), "llama-box",
                parameters);
    }

    private static ModelSpec spec(ModelSource source, String backend, String... parameters) {
        return new ModelSpec("m", source, backend, null, List.of(parameters), Map.of(), 1, List.of(), "spread", true,
                false, Map.of(), List.of(), true);
    }

    @Test
    void aGgufFileNamedByGlobIsAnalysedFromItsHeaderReadWithRangeRequests() {
        AnalysisStep step = analysisAgainst(hub.endpoint())
                .analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*Q4_K_M.gguf"));

        assertFalse(step.retry(), step.toString());
        assertEquals(ModelAnalysis.State.ANALYZED, step.analysis().analysis().state(), step.toString());
        // the served file is demo-model's tiny llama (2 layers), whatever the listing says of its size
        assertTrue(step.analysis().analysis().message().startsWith("llama, "), step.analysis().analysis().message());
        assertTrue(step.analysis().analysis().message().contains("2 layers"), step.analysis().analysis().message());
        assertTrue(step.analysis().estimate().vramBytes() > 0 && step.analysis().estimate().ramBytes() > 0);
        // only the header travelled, in Range requests
        assertTrue(hub.seen.stream().anyMatch(s -> s.range() != null && s.range().startsWith("bytes=0-")),
                hub.seen.toString());
    }

    @Test
    void aPatternMatchingNoFileFailsNamingThePattern() {
        AnalysisStep step = analysisAgainst(hub.endpoint())
                .analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*q9_z.gguf"));

        assertFalse(step.retry());
        assertEquals(ModelAnalysis.State.FAILED, step.analysis().analysis().state());
        assertTrue(step.analysis().analysis().message().contains("*q9_z.gguf"), step.analysis().analysis().message());
        assertNull(step.analysis().estimate());
    }

    @Test
    void aRepoTheHubDoesNotKnowFails() {
        AnalysisStep step = analysisAgainst(hub.endpoint()).analyze(huggingFace("nobody/nothing", "x.gguf"));

        assertFalse(step.retry());
        assertEquals(ModelAnalysis.State.FAILED, step.analysis().analysis().state());
        assertTrue(step.analysis().analysis().message().contains("nobody/nothing"),
                step.analysis().analysis().message());
    }

    @Test
    void aHubThatIsAwayMeansTryAgainLaterWithTheReason() {
        AnalysisStep step = analysisAgainst(URI.create("http://127.0.0.1:" + FreePorts.pick()))
                .analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*q4_k_m.gguf"));

        assertTrue(step.retry());
        assertEquals(ModelAnalysis.State.PENDING, step.analysis().analysis().state());
        assertTrue(step.analysis().analysis().message().startsWith("hub not reachable"),
                step.analysis().analysis().message());
    }

    @Test
    void aSafetensorsRepoIsAnalysedFromItsConfigWithVllmsFloor() {
        AnalysisStep step = analysisAgainst(hub.endpoint()).analyze(spec(new ModelSource(ModelSource.MODELSCOPE, null,
                null, null, "Qwen/Qwen2.5-0.5B-Instruct", null, null), "vllm"));

        assertFalse(step.retry(), step.toString());
        assertEquals(ModelAnalysis.State.ANALYZED, step.analysis().analysis().state(), step.toString());
        assertTrue(step.analysis().analysis().message().startsWith("Qwen2ForCausalLM, llm"),
                step.analysis().analysis().message());
        long weights = 988097824L;
        // 24 layers × 2 KV heads × 64 × 8192 tokens (the default max-model-len) is far below the floor
        assertEquals(0, step.analysis().estimate().ramBytes(), "vLLM claims no RAM");
        assertEquals(weights + weights / 5 + (2L << 30), step.analysis().estimate().vramBytes());
        ShardedSizing sizing = step.analysis().estimate().sizing().sharded();
        assertEquals(step.analysis().estimate().vramBytes(), sizing.perDeviceBytes(1));
        assertEquals(14, sizing.attentionHeads());
        assertTrue(sizing.allowsDeviceCount(2) && !sizing.allowsDeviceCount(4), "14 heads divide by 2, not 4");
        assertEquals(24, step.analysis().analysis().facts().layers());
    }

    @Test
    void theBackendParametersSizeARemoteGgufAsTheyWouldALocalOne() {
        AnalysisStep agentDefault = analysisAgainst(hub.endpoint())
                .analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*Q4_K_M.gguf"));
        AnalysisStep small = analysisAgainst(hub.endpoint())
                .analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF", "*Q4_K_M.gguf", "--ctx-size=512", "-np", "1"));

        assertEquals(8192, agentDefault.analysis().estimate().sizing().layered().contextSize());
        assertEquals(512, small.analysis().estimate().sizing().layered().contextSize());
        assertTrue(small.analysis().estimate().ramBytes() < agentDefault.analysis().estimate().ramBytes());
    }

    @Test
    void theVisionProjectorBesideARemoteModelIsPickedF32BeforeF16() {
        hub.jsonText("/api/models/vis/Vision-GGUF/revision/main", """
                {"id": "vis/Vision-GGUF", "siblings": [
                  {"rfilename": "vision-q4_k_m.gguf", "size": %d},
                  {"rfilename": "mmproj-vision-f16.gguf", "size": 600000000},
                  {"rfilename": "mmproj-vision-f32.gguf", "size": 1200000000},
                  {"rfilename": "sub/mmproj-other-f32.gguf", "size": 5}]}""".formatted(
                hubFileSize("qwen2.5-0.5b-instruct-q4_k_m.gguf")));
        hub.file("vision-q4_k_m.gguf", hub.bytesOf("qwen2.5-0.5b-instruct-q4_k_m.gguf"));

        AnalysisStep plain = analysisAgainst(hub.endpoint()).analyze(huggingFace("vis/Vision-GGUF", "*q4_k_m.gguf"));
        AnalysisStep f16 = analysisAgainst(hub.endpoint()).analyze(huggingFace("vis/Vision-GGUF", "*q4_k_m.gguf",
                "--mmproj", "mmproj-vision-f16.gguf"));

        assertEquals("mmproj-vision-f32.gguf", plain.analysis().analysis().facts().mmprojFile(), plain.toString());
        assertEquals(1200000000L, plain.analysis().estimate().sizing().layered().mmprojBytes());
        assertEquals("mmproj-vision-f16.gguf", f16.analysis().analysis().facts().mmprojFile());
        assertEquals(600000000L, plain.analysis().estimate().vramBytes() - f16.analysis().estimate().vramBytes());
    }

    private long hubFileSize(String name) {
        return hub.bytesOf(name).length;
    }

    @Test
    void anMmprojOverrideThatIsNotInTheRepoFailsNamingIt() {
        AnalysisStep step = analysisAgainst(hub.endpoint()).analyze(huggingFace("Qwen/Qwen2.5-0.5B-Instruct-GGUF",
                "*Q4_K_M.gguf", "--mmproj=mmproj-absent-f16.gguf"));

        assertEquals(ModelAnalysis.State.FAILED, step.analysis().analysis().state());
        assertTrue(step.analysis().analysis().message().contains("--mmproj mmproj-absent-f16.gguf is not in"),
                step.analysis().analysis().message());
    }
}
