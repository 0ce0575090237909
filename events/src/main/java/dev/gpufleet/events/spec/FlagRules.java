package dev.gpufleet.events.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rules on a model's {@code backend_parameters} that both the registry and the agent apply: one spelling per flag
 * ({@link #normalize}), and the flags that make a backend fetch or run code from elsewhere, which a model may only
 * use when an admin opted it in ({@code allow_unknown_parameters}).
 */
public final class FlagRules {
    /** Fetch a model, adapter or tokenizer from a URL or a hub, whatever their value. */
    private static final Map<String, Set<String>> FETCH_OR_EXECUTE = Map.of(
            "llama-box", Set.of("-mu", "--model-url", "-hf", "-hfr", "--hf-repo", "-hff", "--hf-file", "-hfv",
                    "--hf-repo-v", "-hffv", "--hf-file-v", "-hft", "--hf-token", "--lora-url"),
            "vllm", Set.of("--trust-remote-code", "--allowed-local-media-path", "--allowed-media-domains",
                    "--hf-token", "--hf-overrides"),
            "mindie", Set.of("--trust-remote-code"),
            "vox-box", Set.of());
    /** Load a file named by their value: refused when the value is a URL. */
    private static final Set<String> FILE_FLAGS = Set.of("--lora", "--lora-scaled", "--control-vector",
            "--control-vector-scaled", "--mmproj", "--lora-modules", "--chat-template", "--chat-template-file");

    private FlagRules() {
    }

    /**
     * One spelling: {@code --a_b} is {@code --a-b} (llama.cpp and vLLM accept both), surrounding space dropped. Short
     * aliases stay as they are: each backend's table maps them.
     */
    public static String normalize(String flag) {
        String stripped = flag.strip();
        if (stripped.startsWith("--")) {
            return "--" + stripped.substring(2).replace('_', '-');
        }
        return stripped;
    }

    /** A flag of {@code backend_parameters[index]} that needs the model's opt-in, and why. */
    public record Needed(int index, String flag, String why) {
    }

    /** Every entry of {@code parameters} that fetches or runs something from elsewhere. */
    public static List<Needed> needingOptIn(String backend, List<String> parameters) {
        List<Needed> needed = new ArrayList<>();
        if (parameters == null) {
            return needed;
        }
        Set<String> fetching = FETCH_OR_EXECUTE.getOrDefault(backend == null ? "" : backend.toLowerCase(Locale.ROOT),
                Set.of());
        for (int i = 0; i < parameters.size(); i++) {
            String entry = parameters.get(i) == null ? "" : parameters.get(i).strip();
            if (!entry.startsWith("-")) {
                continue;
            }
            int split = separator(entry);
            String flag = normalize(split < 0 ? entry : entry.substring(0, split));
            String value = split >= 0 ? entry.substring(split + 1).strip()
                    : i + 1 < parameters.size() && parameters.get(i + 1) != null
                    && !parameters.get(i + 1).strip().startsWith("-") ? parameters.get(i + 1).strip() : "";
            if (fetching.contains(flag)) {
                needed.add(new Needed(i, flag, flag + " makes the backend fetch or run code from outside the "
                        + "model's source"));
            } else if (FILE_FLAGS.contains(flag) && isUrl(value)) {
                needed.add(new Needed(i, flag, flag + " with a URL makes the backend fetch from outside the model's "
                        + "source"));
            }
        }
        return needed;
    }

    private static boolean isUrl(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.contains("://");
    }

    private static int separator(String entry) {
        for (int i = 0; i < entry.length(); i++) {
            char c = entry.charAt(i);
            if (c == '=' || Character.isWhitespace(c)) {
                return i;
            }
        }
        return -1;
    }
}
