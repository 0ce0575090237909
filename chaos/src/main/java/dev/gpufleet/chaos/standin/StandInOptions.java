package dev.gpufleet.chaos.standin;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The llama-box command line the stand-in backend takes: exactly the flags the agent's {@code LlamaBoxCommand}
 * writes (and a model's backend parameters may add), so a flag llama-box would not know is refused here too.
 *
 * @param parallel slots: requests served at once ({@code -np}); further requests wait in arrival order
 * @param apiKey   null when started without {@code --api-key}
 */
public record StandInOptions(String host, int port, String model, String alias, int parallel, String apiKey) {
    static final Map<String, String> VALUED = Map.ofEntries(
            Map.entry("--host", "--host"), Map.entry("--port", "--port"),
            Map.entry("-m", "-m"), Map.entry("--model", "-m"),
            Map.entry("-a", "--alias"), Map.entry("--alias", "--alias"),
            Map.entry("-c", "-c"), Map.entry("--ctx-size", "-c"),
            Map.entry("-np", "-np"), Map.entry("--parallel", "-np"),
            Map.entry("-ngl", "-ngl"), Map.entry("--gpu-layers", "-ngl"), Map.entry("--n-gpu-layers", "-ngl"),
            Map.entry("-ts", "-ts"), Map.entry("--tensor-split", "-ts"),
            Map.entry("--mmproj", "--mmproj"), Map.entry("--rpc", "--rpc"), Map.entry("--api-key", "--api-key"));
    static final Set<String> SWITCHES = Set.of("--embeddings", "--embedding", "--rerank", "--reranking");

    /** @throws IllegalArgumentException naming the flag that is unknown, lacks its value or has a bad one */
    public static StandInOptions parse(List<String> args) {
        java.util.HashMap<String, String> values = new java.util.HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (SWITCHES.contains(arg)) {
                continue;
            }
            String canonical = VALUED.get(arg);
            if (canonical == null) {
                throw new IllegalArgumentException("unknown argument: " + arg);
            }
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(arg + ": missing value");
            }
            values.put(canonical, args.get(++i));
        }
        String model = values.get("-m");
        if (model == null) {
            throw new IllegalArgumentException("-m: the model file is required");
        }
        String host = values.getOrDefault("--host", "127.0.0.1");
        int port = number(values, "--port", 8080);
        int parallel = number(values, "-np", 1);
        if (parallel < 1) {
            throw new IllegalArgumentException("-np: must be at least 1, was " + parallel);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port: must be 0-65535, was " + port);
        }
        return new StandInOptions(host, port, model, values.getOrDefault("--alias", "standin"), parallel,
                values.get("--api-key"));
    }

    private static int number(Map<String, String> values, String flag, int fallback) {
        String v = values.get(flag);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": not a number: " + v);
        }
    }
}
