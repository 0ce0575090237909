package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.LayeredSizing;
import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelFacts;
import dev.gpufleet.events.ModelSizing;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.events.ShapeMemory;
import dev.gpufleet.registry.estimate.BackendSettings;
import dev.gpufleet.registry.estimate.LlamaBoxParameters;
import dev.gpufleet.registry.estimate.MemoryEstimator;

import java.util.List;
import java.util.Locale;

/**
 * The analysis of a GGUF model for llama-box: what its header says, and the memory it needs with the settings the
 * worker agent will start it with (the user's {@code -c}, {@code -np}, cache type, batches and flash attention,
 * else the agent's defaults 8192 and 4): CPU only as {@code ramBytes}, fully on one GPU as {@code vramBytes}, and
 * the per-layer sizing for every other shape. Pure.
 */
public final class GgufEstimate {

    private GgufEstimate() {
    }

    public static Analysis of(ModelArchitecture model, List<String> backendParameters) {
        return of(model, backendParameters, null);
    }

    /** @param mmprojFile the vision projector picked beside the model, null when none */
    public static Analysis of(ModelArchitecture model, List<String> backendParameters, String mmprojFile) {
        LlamaBoxParameters params = BackendSettings.llamaBox(backendParameters);
        LayeredSizing sizing = MemoryEstimator.layeredSizing(model, params);
        ShapeMemory cpuOnly = sizing.memoryFor(0, List.of());
        ShapeMemory oneGpu = sizing.memoryFor(LayeredSizing.ALL_LAYERS, List.of(1.0));
        long vram = oneGpu.vramBytes()[0];
        String message = String.format(Locale.ROOT,
                "%s, %s parameters, %s, %d layers, trained context %d; at context %d with %d slots: %s RAM CPU only,"
                        + " %s VRAM on one GPU%s",
                model.architecture(), count(model.parameterCount()), model.quantization(), model.layers(),
                model.contextLength(), sizing.contextSize(), params.parallel(),
                FileSizeEstimate.size(cpuOnly.ramBytes()), FileSizeEstimate.size(vram),
                mmprojFile == null ? "" : "; vision projector " + mmprojFile);
        ModelFacts facts = new ModelFacts(model.architecture(), model.quantization(), model.parameterCount(),
                model.layers(), model.headCount(), model.headCountKv(), model.embeddingLength(),
                model.contextLength(), model.weightBytes(), model.embeddingModel(), model.rerankerModel(), mmprojFile);
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.ANALYZED, message, facts),
                new ResourceEstimate(cpuOnly.ramBytes(), vram, ModelSizing.of(sizing)));
    }

    static String count(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f B", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f K", n / 1e3);
    }
}
