package dev.gpufleet.registry.analysis;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufEstimateTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "none", value = {
            "--ctx-size=4096                  | 4096",
            "-c 2048                          | 2048",
            "-c;1024                          | 1024",
            "--ctx-size=512;-c 256            | 256",   // the last one wins, as in llama.cpp
            "--parallel=2                     | none",
            "-c=abc                           | none",
            "'-c'                             | none",  // no value after it
    })
    void contextSizeIsReadInEveryForm(String parameters, Integer expected) {
        List<String> params = Arrays.asList(parameters.split(";"));
        OptionalInt found = GgufEstimate.flagValue(params, "-c", "--ctx-size");
        assertEquals(expected == null ? OptionalInt.empty() : OptionalInt.of(expected), found);
    }

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
}
