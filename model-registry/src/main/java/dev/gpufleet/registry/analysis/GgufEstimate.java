package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ResourceEstimate;
import dev.gpufleet.registry.estimate.LlamaBoxParameters;
import dev.gpufleet.registry.estimate.MemoryEstimate;
import dev.gpufleet.registry.estimate.MemoryEstimator;
import dev.gpufleet.registry.estimate.Placement;

import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The analysis of a GGUF model for llama-box: what its header says, and the memory it needs with the context and
 * slots the worker agent will start it with (the user's {@code -c}/{@code -np}, else the agent's defaults 8192 and
 * 4) — CPU only as {@code ramBytes}, fully on one GPU as {@code vramBytes}. Pure.
 */
public final class GgufEstimate {
    /** What the worker agent passes when the user sets no context size or slot count. */
    static final int AGENT_DEFAULT_CONTEXT = 8192;
    static final int AGENT_DEFAULT_PARALLEL = 4;

    private GgufEstimate() {
    }

    public static Analysis of(ModelArchitecture model, List<String> backendParameters) {
        int context = flagValue(backendParameters, "-c", "--ctx-size").orElse(AGENT_DEFAULT_CONTEXT);
        int parallel = flagValue(backendParameters, "-np", "--parallel").orElse(AGENT_DEFAULT_PARALLEL);
        LlamaBoxParameters params = LlamaBoxParameters.defaults(context).withParallel(parallel);
        MemoryEstimate cpuOnly = MemoryEstimator.llamaBox(model, params, Placement.cpuOnly());
        MemoryEstimate oneGpu = MemoryEstimator.llamaBox(model, params, Placement.fullGpu());
        long vram = oneGpu.vramBytes().isEmpty() ? 0 : oneGpu.vramBytes().get(0);
        String message = String.format(Locale.ROOT,
                "%s, %s parameters, %s, %d layers, trained context %d; at context %d with %d slots: %s RAM CPU only,"
                        + " %s VRAM on one GPU",
                model.architecture(), count(model.parameterCount()), model.quantization(), model.layers(),
                model.contextLength(), context, parallel, FileSizeEstimate.size(cpuOnly.ramBytes()),
                FileSizeEstimate.size(vram));
        return new Analysis(new ModelAnalysis(ModelAnalysis.State.ANALYZED, message),
                new ResourceEstimate(cpuOnly.ramBytes(), vram));
    }

    /** The value of a numeric flag in any of its forms ({@code -c 4096}, {@code --ctx-size=4096}); last one wins. */
    static OptionalInt flagValue(List<String> parameters, String... names) {
        OptionalInt found = OptionalInt.empty();
        for (int i = 0; i < parameters.size(); i++) {
            String[] words = parameters.get(i).trim().split("\\s+", 2);
            String flag = words[0];
            String value = null;
            int eq = flag.indexOf('=');
            if (eq > 0) {
                value = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            } else if (words.length == 2) {
                value = words[1];
            } else if (i + 1 < parameters.size()) {
                value = parameters.get(i + 1).trim();
            }
            for (String name : names) {
                if (name.equals(flag) && value != null) {
                    try {
                        found = OptionalInt.of(Integer.parseInt(value.trim()));
                    } catch (NumberFormatException ignored) {
                        // validation already refused a bad number; keep the default
                    }
                }
            }
        }
        return found;
    }

    private static String count(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f B", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f K", n / 1e3);
    }
}
