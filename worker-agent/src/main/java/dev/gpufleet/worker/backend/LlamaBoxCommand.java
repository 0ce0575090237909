package dev.gpufleet.worker.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The llama-box command line of one instance: {@code <binary> --host H --port P -m PATH --alias NAME -c CTX -np N
 * -ngl N [--embeddings]} followed by the user's backend parameters. The user's {@code -c}, {@code -np} and
 * {@code -ngl} replace the defaults; what the agent must decide itself (host, port, model path, alias) is dropped
 * from the user's parameters with a warning. Parameters given as {@code --flag=value} or {@code "--flag value"}
 * are passed as two arguments, the form every llama.cpp-style parser reads.
 */
public final class LlamaBoxCommand {
    public static final int DEFAULT_CONTEXT = 8192;
    public static final int DEFAULT_PARALLEL = 4;
    /** More layers than any model has: "all on the GPUs". */
    public static final int ALL_LAYERS = 999;
    public static final String EMBEDDING_CATEGORY = "embedding";

    static final Set<String> CONTEXT = Set.of("-c", "--ctx-size");
    static final Set<String> PARALLEL = Set.of("-np", "--parallel");
    static final Set<String> GPU_LAYERS = Set.of("-ngl", "--gpu-layers", "--n-gpu-layers");
    static final Set<String> EMBEDDINGS = Set.of("--embedding", "--embeddings");
    private static final List<AgentOwned> AGENT_OWNED = List.of(
            new AgentOwned(Set.of("--host"), "the agent sets the listen address (gpufleet.worker.backend-host)"),
            new AgentOwned(Set.of("--port"), "the agent assigns the port from gpufleet.worker.port-range"),
            new AgentOwned(Set.of("-m", "--model"), "the agent passes the model file of the model's source"),
            new AgentOwned(Set.of("-a", "--alias"), "the alias is the model name clients ask for"));
    private static final Pattern NEGATIVE_NUMBER = Pattern.compile("-\\.?\\d.*");

    private LlamaBoxCommand() {
    }

    /**
     * @param binary the command that runs llama-box (or a compatible server), one or more words
     */
    public record Inputs(List<String> binary, String host, int port, String modelPath, String alias, boolean hasGpus,
                         List<String> categories, List<String> backendParameters) {
        public Inputs {
            binary = List.copyOf(binary);
            categories = categories == null ? List.of() : List.copyOf(categories);
            backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        }
    }

    /** A user parameter: a flag with its value (null for a switch), or a lone value (flag null). */
    record Parameter(String flag, String value) {
        boolean is(Set<String> names) {
            return flag != null && names.contains(flag);
        }

        List<String> words() {
            List<String> words = new ArrayList<>(2);
            if (flag != null) {
                words.add(flag);
            }
            if (value != null) {
                words.add(value);
            }
            return words;
        }
    }

    private record AgentOwned(Set<String> flags, String why) {
    }

    public static BackendCommand build(Inputs in) {
        List<Parameter> user = parse(in.backendParameters());
        List<String> warnings = new ArrayList<>();
        List<Parameter> kept = new ArrayList<>();
        for (Parameter parameter : user) {
            AgentOwned owned = AGENT_OWNED.stream().filter(o -> parameter.is(o.flags())).findFirst().orElse(null);
            if (owned == null) {
                kept.add(parameter);
            } else {
                warnings.add("backend parameter " + parameter.flag() + " was ignored: " + owned.why());
            }
        }

        List<String> args = new ArrayList<>(in.binary());
        args.addAll(List.of("--host", in.host(), "--port", String.valueOf(in.port()), "-m", in.modelPath(),
                "--alias", in.alias()));
        if (kept.stream().noneMatch(p -> p.is(CONTEXT))) {
            args.addAll(List.of("-c", String.valueOf(DEFAULT_CONTEXT)));
        }
        if (kept.stream().noneMatch(p -> p.is(PARALLEL))) {
            args.addAll(List.of("-np", String.valueOf(DEFAULT_PARALLEL)));
        }
        if (kept.stream().noneMatch(p -> p.is(GPU_LAYERS))) {
            args.addAll(List.of("-ngl", String.valueOf(in.hasGpus() ? ALL_LAYERS : 0)));
        }
        boolean embedding = in.categories().stream()
                .anyMatch(c -> EMBEDDING_CATEGORY.equals(c.toLowerCase(Locale.ROOT)));
        if (embedding && kept.stream().noneMatch(p -> p.is(EMBEDDINGS))) {
            args.add("--embeddings");
        }
        kept.forEach(p -> args.addAll(p.words()));
        return new BackendCommand(args, warnings);
    }

    static List<Parameter> parse(List<String> raw) {
        List<Parameter> parameters = new ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            String word = raw.get(i) == null ? "" : raw.get(i).trim();
            if (word.isEmpty()) {
                continue;
            }
            if (!isFlag(word)) {
                parameters.add(new Parameter(null, word));
                continue;
            }
            int eq = word.indexOf('=');
            int space = indexOfWhitespace(word);
            if (eq > 0 && (space < 0 || eq < space)) {
                parameters.add(new Parameter(word.substring(0, eq), word.substring(eq + 1)));
            } else if (space > 0) {
                parameters.add(new Parameter(word.substring(0, space), word.substring(space + 1).trim()));
            } else if (i + 1 < raw.size() && raw.get(i + 1) != null && !raw.get(i + 1).isBlank()
                    && !isFlag(raw.get(i + 1).trim())) {
                parameters.add(new Parameter(word, raw.get(i + 1).trim()));
                i++;
            } else {
                parameters.add(new Parameter(word, null));
            }
        }
        return parameters;
    }

    private static boolean isFlag(String word) {
        return word.startsWith("-") && word.length() > 1 && !NEGATIVE_NUMBER.matcher(word).matches();
    }

    private static int indexOfWhitespace(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (Character.isWhitespace(word.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
