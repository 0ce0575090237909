package dev.gpufleet.registry.hub;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.registry.analysis.AnalysisStep;
import dev.gpufleet.registry.analysis.RemoteAnalysis;
import dev.gpufleet.localstack.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
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

    private static ModelSource huggingFace(String repo, String file) {
        return new ModelSource(ModelSource.HUGGINGFACE, repo, file, null, null, null, null);
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
        AnalysisStep step = analysisAgainst(hub.endpoint()).analyze(new ModelSource(ModelSource.MODELSCOPE, null,
                null, null, "Qwen/Qwen2.5-0.5B-Instruct", null, null));

        assertFalse(step.retry(), step.toString());
        assertEquals(ModelAnalysis.State.ANALYZED, step.analysis().analysis().state(), step.toString());
        assertTrue(step.analysis().analysis().message().startsWith("Qwen2ForCausalLM, llm"),
                step.analysis().analysis().message());
        long weights = 988097824L;
        assertEquals(weights, step.analysis().estimate().ramBytes());
        assertEquals(weights + weights / 5 + (2L << 30), step.analysis().estimate().vramBytes());
    }
}
