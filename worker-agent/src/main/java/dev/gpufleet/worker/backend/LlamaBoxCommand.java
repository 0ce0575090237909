package dev.gpufleet.worker.backend;

import dev.gpufleet.events.PlacementShape;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The llama-box command line of one instance: {@code <binary> --host H --port P -m PATH --alias NAME [--mmproj F]
 * -c CTX -np N -ngl N [--tensor-split ...] [--rpc ...] [--embeddings] [--rerank] [--images] [--api-key K]} followed by the
 * user's backend parameters. The user's {@code -c}, {@code -np}, {@code -ngl}, {@code -ts}, {@code --mmproj} replace
 * the agent's; what the agent must decide itself (host, port, model path, alias, RPC servers, API key) is dropped
 * from the user's parameters with a warning. Parameters given as {@code --flag=value} or {@code "--flag value"}
 * are passed as two arguments, the form every llama.cpp-style parser reads.
 */
public final class LlamaBoxCommand {
    public static final int DEFAULT_CONTEXT = 8192;
    public static final int DEFAULT_PARALLEL = 4;
    /** More layers than any model has: "all on the GPUs". */
    public static final int ALL_LAYERS = 999;
    public static final String EMBEDDING_CATEGORY = "embedding";
    public static final String RERANKER_CATEGORY = "reranker";
    public static final String IMAGE_CATEGORY = "image";

    static final Set<String> CONTEXT = Set.of("-c", "--ctx-size");
    static final Set<String> PARALLEL = Set.of("-np", "--parallel");
    static final Set<String> GPU_LAYERS = Set.of("-ngl", "--gpu-layers", "--n-gpu-layers");
    static final Set<String> TENSOR_SPLIT = Set.of("-ts", "--tensor-split");
    static final Set<String> MMPROJ = Set.of("--mmproj");
    static final Set<String> EMBEDDINGS = Set.of("--embedding", "--embeddings");
    static final Set<String> RERANK = Set.of("--rerank", "--reranking");
    static final Set<String> IMAGES = Set.of("--images");
    static final List<UserParameters.AgentOwned> AGENT_OWNED = List.of(
            new UserParameters.AgentOwned(Set.of("--host"),
                    "the agent sets the listen address (gpufleet.worker.backend-host)"),
            new UserParameters.AgentOwned(Set.of("--port"),
                    "the agent assigns the port from gpufleet.worker.port-range"),
            new UserParameters.AgentOwned(Set.of("-m", "--model"),
                    "the agent passes the model file of the model's source"),
            new UserParameters.AgentOwned(Set.of("-a", "--alias"), "the alias is the model name clients ask for"),
            new UserParameters.AgentOwned(Set.of("--rpc"),
                    "the agent wires the RPC servers of the instance's subordinate workers"),
            new UserParameters.AgentOwned(Set.of("--api-key", "--api-key-file"),
                    "the agent sets the instance's API key, which the gateway uses"));

    private LlamaBoxCommand() {
    }

    /**
     * @param binary     the command that runs llama-box (or a compatible server), one or more words
     * @param mmprojPath the projector beside the model (see {@link Mmproj}); null for none
     * @param shape      the placement's layout; null = one GPU per index, all layers (or none without GPUs)
     * @param rpcServers {@code host:port} of each subordinate worker's RPC server, in tensor-split order
     * @param apiKey     null to start without one (a compatible server that has no {@code --api-key})
     */
    public record Inputs(List<String> binary, String host, int port, String modelPath, String alias,
                         String mmprojPath, boolean hasGpus, PlacementShape shape, List<String> rpcServers,
                         String apiKey, List<String> categories, List<String> backendParameters) {
        public Inputs {
            binary = List.copyOf(binary);
            rpcServers = rpcServers == null ? List.of() : List.copyOf(rpcServers);
            categories = categories == null ? List.of() : List.copyOf(categories);
            backendParameters = backendParameters == null ? List.of() : List.copyOf(backendParameters);
        }

        public Inputs(List<String> binary, String host, int port, String modelPath, String alias, boolean hasGpus,
                      List<String> categories, List<String> backendParameters) {
            this(binary, host, port, modelPath, alias, null, hasGpus, null, List.of(), null, categories,
                    backendParameters);
        }
    }

    public static BackendCommand build(Inputs in) {
        UserParameters.Kept kept = UserParameters.withoutAgentOwned(in.backendParameters(), AGENT_OWNED);

        List<String> args = new ArrayList<>(in.binary());
        args.addAll(List.of("--host", in.host(), "--port", String.valueOf(in.port()), "-m", in.modelPath(),
                "--alias", in.alias()));
        if (in.mmprojPath() != null && !kept.has(MMPROJ)) {
            args.addAll(List.of("--mmproj", in.mmprojPath()));
        }
        if (!kept.has(CONTEXT)) {
            args.addAll(List.of("-c", String.valueOf(DEFAULT_CONTEXT)));
        }
        if (!kept.has(PARALLEL)) {
            args.addAll(List.of("-np", String.valueOf(DEFAULT_PARALLEL)));
        }
        if (!kept.has(GPU_LAYERS)) {
            args.addAll(List.of("-ngl", String.valueOf(gpuLayers(in))));
        }
        List<Double> split = tensorSplit(in);
        if (!split.isEmpty() && !kept.has(TENSOR_SPLIT)) {
            args.addAll(List.of("--tensor-split", split.stream().map(LlamaBoxCommand::share)
                    .collect(Collectors.joining(","))));
        }
        if (!in.rpcServers().isEmpty()) {
            args.addAll(List.of("--rpc", String.join(",", in.rpcServers())));
        }
        if (hasCategory(in, EMBEDDING_CATEGORY) && !kept.has(EMBEDDINGS)) {
            args.add("--embeddings");
        }
        if (hasCategory(in, RERANKER_CATEGORY) && !kept.has(RERANK)) {
            args.add("--rerank");
        }
        if (hasCategory(in, IMAGE_CATEGORY) && !kept.has(IMAGES)) {
            args.add("--images");
        }
        if (in.apiKey() != null) {
            args.addAll(List.of("--api-key", in.apiKey()));
        }
        args.addAll(kept.words());
        return new BackendCommand(args, kept.warnings());
    }

    private static int gpuLayers(Inputs in) {
        PlacementShape shape = in.shape();
        if (shape == null) {
            return in.hasGpus() ? ALL_LAYERS : 0;
        }
        return switch (shape.kind()) {
            case CPU_ONLY -> 0;
            case PARTIAL_OFFLOAD -> Math.max(0, shape.gpuLayers());
            default -> ALL_LAYERS;
        };
    }

    /**
     * The shape lists the main worker's GPUs first, then the subordinates'; llama.cpp numbers the devices of
     * {@code --rpc} servers before its local ones, so the subordinates' shares go first on the command line.
     */
    private static List<Double> tensorSplit(Inputs in) {
        PlacementShape shape = in.shape();
        if (shape == null || shape.tensorSplit().size() < 2) {
            return List.of();
        }
        List<Double> shares = shape.tensorSplit();
        int remote = Math.min(in.rpcServers().size(), shares.size());
        int local = shares.size() - remote;
        List<Double> ordered = new ArrayList<>(shares.subList(local, shares.size()));
        ordered.addAll(shares.subList(0, local));
        return ordered;
    }

    private static String share(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                : String.valueOf(value);
    }

    private static boolean hasCategory(Inputs in, String category) {
        return in.categories().stream().anyMatch(c -> category.equals(c.toLowerCase(Locale.ROOT)));
    }

}
