package dev.gpufleet.gateway.routing;

import dev.gpufleet.events.LaunchPlan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How many requests an instance's backend serves at once, read from its launch plan: llama-box's (and
 * llama.cpp's) {@code -np}/{@code --parallel}, vLLM's {@code --max-num-seqs}; where the parameters do not say,
 * the backend's default (configured, else the one built in), else the configured default for unknown backends.
 */
public final class InstanceSlots {
    /** The worker agent starts llama-box with {@code -np 4} when the model's parameters set none. */
    static final int LLAMA_BOX_DEFAULT = 4;
    /** vLLM's default {@code --max-num-seqs}. */
    static final int VLLM_DEFAULT = 256;
    private static final Map<String, Integer> BUILT_IN = Map.of("llama-box", LLAMA_BOX_DEFAULT, "vllm", VLLM_DEFAULT);
    private static final Map<String, Set<String>> SLOT_FLAGS = Map.of(
            "llama-box", Set.of("-np", "--parallel"),
            "vllm", Set.of("--max-num-seqs"));

    private InstanceSlots() {
    }

    /**
     * @param configured   slots per backend name, from the configuration
     * @param defaultSlots for a backend not known here or there
     */
    public static int of(LaunchPlan plan, Map<String, Integer> configured, int defaultSlots) {
        int fallback = Math.max(1, defaultSlots);
        if (plan == null || plan.backend() == null) {
            return fallback;
        }
        String backend = plan.backend();
        Set<String> flags = SLOT_FLAGS.get(backend);
        if (flags != null) {
            int given = lastValue(words(plan.backendParameters()), flags);
            if (given > 0) {
                return given;
            }
        }
        Integer backendDefault = configured.get(backend);
        if (backendDefault == null) {
            backendDefault = BUILT_IN.get(backend);
        }
        return backendDefault == null || backendDefault < 1 ? fallback : backendDefault;
    }

    /**
     * One gateway's share of an instance's slots when {@code gateways} gateways send to it: an even share, rounded
     * down so that together they stay within the slots, and at least one (with fewer slots than gateways, a backend
     * may get up to one request per gateway).
     */
    public static int share(int slots, int gateways) {
        return Math.max(1, slots / Math.max(1, gateways));
    }

    /** The parameters as separate words: {@code --flag=value} and {@code "--flag value"} are two words each. */
    static List<String> words(List<String> parameters) {
        List<String> words = new ArrayList<>();
        for (String parameter : parameters) {
            if (parameter == null) {
                continue;
            }
            String trimmed = parameter.trim();
            int equals = trimmed.indexOf('=');
            if (trimmed.startsWith("-") && equals > 0 && !trimmed.substring(0, equals).contains(" ")) {
                words.add(trimmed.substring(0, equals));
                words.add(trimmed.substring(equals + 1));
                continue;
            }
            for (String word : trimmed.split("\\s+", 2)) {
                if (!word.isEmpty()) {
                    words.add(word.trim());
                }
            }
        }
        return words;
    }

    /** The positive number after the last of {@code flags}; 0 when there is none. */
    private static int lastValue(List<String> words, Set<String> flags) {
        int value = 0;
        for (int i = 0; i < words.size() - 1; i++) {
            if (flags.contains(words.get(i))) {
                try {
                    value = Integer.parseInt(words.get(i + 1));
                } catch (NumberFormatException notANumber) {
                    value = 0;
                }
            }
        }
        return Math.max(0, value);
    }
}
