package dev.gpufleet.registry.analysis;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufEstimateTest {

    @Test
    void aLargerContextNeedsMoreMemoryAndTheMessageSaysWhichWasUsed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 1, file);
        ModelArchitecture model = GgufAnalyzer.analyze(file);

        Analysis small = GgufEstimate.of(model, List.of("--ctx-size=512"));
        Analysis agentDefault = GgufEstimate.of(model, List.of());

        assertEquals(ModelAnalysis.State.ANALYZED, small.analysis().state());
        assertTrue(small.analysis().message().contains("at context 512 with 4 slots"), small.analysis().message());
        assertTrue(agentDefault.analysis().message().contains("at context 8192 with 4 slots"));
        assertTrue(agentDefault.estimate().ramBytes() > small.estimate().ramBytes());
        assertTrue(agentDefault.estimate().vramBytes() > small.estimate().vramBytes());
        assertTrue(small.estimate().ramBytes() > model.weightBytes(), "weights plus KV and compute");
    }

    @Test
    void theEstimateCarriesTheSizingAndTheAnalysisTheFacts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, 1, file);
        ModelArchitecture model = GgufAnalyzer.analyze(file);

        Analysis analysis = GgufEstimate.of(model, List.of("-c", "1024", "-ctk", "q8_0", "-fa"), "mmproj-f16.gguf");

        LayeredSizing sizing = analysis.estimate().sizing().layered();
        assertEquals(1024, sizing.contextSize());
        assertEquals(model.layers(), sizing.layers());
        assertEquals(analysis.estimate().ramBytes(), sizing.memoryFor(0, List.of()).ramBytes());
        assertEquals(analysis.estimate().vramBytes(), sizing.memoryFor(999, List.of(1.0)).vramBytes()[0]);
        ModelFacts facts = analysis.analysis().facts();
        assertEquals(new ModelFacts(model.architecture(), model.quantization(), model.parameterCount(),
                model.layers(), model.headCount(), model.headCountKv(), model.embeddingLength(),
                model.contextLength(), model.weightBytes(), false, false, "mmproj-f16.gguf"), facts);
        assertTrue(analysis.analysis().message().endsWith("vision projector mmproj-f16.gguf"),
                analysis.analysis().message());
    }
}
