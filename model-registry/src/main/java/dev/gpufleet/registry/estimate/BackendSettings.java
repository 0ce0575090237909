package dev.gpufleet.registry.estimate;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The memory-relevant settings in a model's backend parameters, with the defaults the worker agent starts the
 * backend with when the user sets none. Parameters were validated when the model was written, so a value that
 * does not parse here falls back to the default. Pure.
 */
public final class BackendSettings {
    /** What the worker agent passes to llama-box when the user sets no context size or slot count. */
    public static final int LLAMA_BOX_DEFAULT_CONTEXT = 8192;
    public static final int LLAMA_BOX_DEFAULT_PARALLEL = 4;
    /** vLLM gets {@code --max-model-len 8192} when the model allows more and the user set none (DESIGN §4). */
    public static final int VLLM_DEFAULT_MAX_MODEL_LEN = 8192;

    private BackendSettings() {
    }

    public static LlamaBoxParameters llamaBox(List<String> parameters) {
        int context = intFlag(parameters, "-c", "--ctx-size").orElse(LLAMA_BOX_DEFAULT_CONTEXT);
        LlamaBoxParameters defaults = LlamaBoxParameters.defaults(context);
        KvCacheType cacheType = stringFlag(parameters, "-ctk", "--cache-type-k").map(KvCacheType::fromCliName)
                .orElse(KvCacheType.F16);
        return new LlamaBoxParameters(context, cacheType == null ? KvCacheType.F16 : cacheType,
                intFlag(parameters, "-np", "--parallel").orElse(LLAMA_BOX_DEFAULT_PARALLEL),
                intFlag(parameters, "-b", "--batch-size").orElse(defaults.batchSize()),
                intFlag(parameters, "-ub", "--ubatch-size").orElse(defaults.ubatchSize()),
                present(parameters, "-fa", "--flash-attn"));
    }

    /** @param modelContext the model's trained context, for the 8192 default */
    public static VllmParameters vllm(List<String> parameters, int modelContext) {
        int fallback = modelContext > 0 ? Math.min(modelContext, VLLM_DEFAULT_MAX_MODEL_LEN)
                : VLLM_DEFAULT_MAX_MODEL_LEN;
        return new VllmParameters(intFlag(parameters, "--max-model-len").orElse(fallback),
                doubleFlag(parameters, "--gpu-memory-utilization")
                        .orElse(VllmParameters.defaults().gpuMemoryUtilization()),
                intFlag(parameters, "--tensor-parallel-size", "-tp").orElse(1));
    }

    public static MindieParameters mindie(List<String> parameters) {
        MindieParameters d = MindieParameters.defaults();
        return new MindieParameters(intFlag(parameters, "--max-seq-len").orElse(d.maxSeqLen()),
                intFlag(parameters, "--max-batch-size").orElse(d.maxBatchSize()),
                intFlag(parameters, "--cache-block-size").orElse(d.cacheBlockSize()),
                intFlag(parameters, "--cpu-mem-size").orElse(d.cpuMemSizeGiB()),
                doubleFlag(parameters, "--npu-memory-fraction").orElse(d.npuMemoryFraction()), d.devices());
    }

    /** The value of a numeric flag in any of its forms ({@code -c 4096}, {@code --ctx-size=4096}); last one wins. */
    public static OptionalInt intFlag(List<String> parameters, String... names) {
        Optional<String> value = stringFlag(parameters, names);
        try {
            return value.isPresent() ? OptionalInt.of(Integer.parseInt(value.get())) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static Optional<Double> doubleFlag(List<String> parameters, String... names) {
        try {
            return stringFlag(parameters, names).map(Double::parseDouble);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The last value given for any of {@code names}: {@code --flag=v}, {@code --flag v} in one entry, or two. */
    static Optional<String> stringFlag(List<String> parameters, String... names) {
        String found = null;
        for (int i = 0; i < parameters.size(); i++) {
            String[] words = parameters.get(i).trim().split("\\s+", 2);
            String flag = words[0];
            String value = null;
            int eq = flag.indexOf('=');
            if (eq > 0) {
                value = parameters.get(i).trim().substring(eq + 1);
                flag = flag.substring(0, eq);
            } else if (words.length == 2) {
                value = words[1];
            } else if (i + 1 < parameters.size()) {
                value = parameters.get(i + 1).trim();
            }
            for (String name : names) {
                if (name.equals(flag) && value != null && !value.isBlank()) {
                    found = value.trim();
                }
            }
        }
        return Optional.ofNullable(found);
    }

    /** A switch such as {@code -fa}; {@code --no-flash-attn} or {@code -fa off} after it turns it off again. */
    static boolean present(List<String> parameters, String... names) {
        boolean on = false;
        for (int i = 0; i < parameters.size(); i++) {
            String[] words = parameters.get(i).trim().split("[\\s=]+", 2);
            for (String name : names) {
                if (name.equals(words[0])) {
                    String value = words.length == 2 ? words[1] : null;
                    on = value == null || !(value.equalsIgnoreCase("off") || value.equalsIgnoreCase("false")
                            || value.equals("0"));
                }
                if (words[0].equals("--no-" + name.replaceFirst("^-+", ""))) {
                    on = false;
                }
            }
        }
        return on;
    }
}
