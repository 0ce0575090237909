package dev.gpufleet.llamacpp;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/** What the command line asked for. {@link #parse} is pure: no file or network access. */
public record ServerOptions(
        Path model,
        String host,
        int port,
        Optional<String> alias,
        OptionalInt ctxSize,
        OptionalInt gpuLayers,
        int parallel,
        boolean embeddings,
        boolean rerank,
        Optional<String> apiKey,
        OptionalInt threads,
        boolean verbose) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** llama.cpp's own default when -c is not given. */
    public static final int DEFAULT_CTX_SIZE = 4096;

    public static final String USAGE = String.join("\n",
            "usage: java -jar llamacpp-server.jar -m FILE [options]",
            "An OpenAI-compatible server on llama.cpp (CPU) that accepts llama-box's command-line subset.",
            "",
            "  -m,   --model FILE         GGUF model to serve (required)",
            "        --host HOST          address to listen on (default: " + DEFAULT_HOST + ")",
            "        --port N             port to listen on, 0 picks a free one (default: " + DEFAULT_PORT + ")",
            "  -a,   --alias NAME         model id reported by /v1/models and in responses (default: the file name)",
            "  -c,   --ctx-size N         context size in tokens shared by all slots; 0 = the model's own",
            "                             (default: " + DEFAULT_CTX_SIZE + ")",
            "  -ngl, --gpu-layers N       accepted for llama-box compatibility; this build runs on the CPU only",
            "  -np,  --parallel N         requests served at once; more are queued (default: 1)",
            "        --embeddings         also serve /v1/embeddings (last-token pooling)",
            "        --rerank             accepted; rerank requests are refused (not supported by this server)",
            "        --api-key KEY        require 'Authorization: Bearer KEY' on every route except /health"
                    + " (or env LLAMA_API_KEY)",
            "  -t,   --threads N          CPU threads for generation (default: llama.cpp's choice)",
            "  -v,   --verbose            keep llama.cpp's own log on stderr",
            "  -h,   --help               print this help and exit",
            "",
            "Routes: GET /health, GET /v1/models, POST /v1/chat/completions, POST /v1/completions,",
            "POST /v1/embeddings (with --embeddings).",
            "Exit codes: 0 after SIGTERM, 1 when the model cannot be loaded or the port is taken, 2 on bad arguments.");

    /** Bad command line: the message says which argument and what is allowed. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    /** Returns empty when help was asked for. */
    /** The key's environment form, as llama.cpp's llama-server reads it: off the command line others can read. */
    public static final String API_KEY_VARIABLE = "LLAMA_API_KEY";

    public static Optional<ServerOptions> parse(String... args) throws UsageException {
        return parse(Map.of(), args);
    }

    /** @param environment where {@value #API_KEY_VARIABLE} is read when {@code --api-key} is not given */
    public static Optional<ServerOptions> parse(Map<String, String> environment, String... args)
            throws UsageException {
        for (String arg : args) {
            if (arg.equals("-h") || arg.equals("--help")) {
                return Optional.empty();
            }
        }
        Path model = null;
        String host = DEFAULT_HOST;
        int port = DEFAULT_PORT;
        String alias = null;
        Integer ctxSize = null;
        Integer gpuLayers = null;
        int parallel = 1;
        boolean embeddings = false;
        boolean rerank = false;
        String apiKey = null;
        Integer threads = null;
        boolean verbose = false;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String inlineValue = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                inlineValue = arg.substring(eq + 1);
                arg = arg.substring(0, eq);
            }
            switch (arg) {
                case "--embeddings":
                case "--embedding":
                    embeddings = flag(arg, inlineValue);
                    continue;
                case "--rerank":
                case "--reranking":
                    rerank = flag(arg, inlineValue);
                    continue;
                case "-v":
                case "--verbose":
                    verbose = flag(arg, inlineValue);
                    continue;
                default:
                    break;
            }
            if (!takesValue(arg)) {
                throw new UsageException("unknown argument '" + args[i] + "'");
            }
            String value;
            if (inlineValue != null) {
                value = inlineValue;
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException(arg + " needs a value");
            }
            switch (arg) {
                case "-m":
                case "--model":
                    if (value.isBlank()) {
                        throw new UsageException(arg + " needs a file name");
                    }
                    model = Path.of(value);
                    break;
                case "--host":
                    if (value.isBlank()) {
                        throw new UsageException("--host needs an address");
                    }
                    host = value;
                    break;
                case "--port":
                    port = integer(arg, value, 0, 65535);
                    break;
                case "-a":
                case "--alias":
                    if (value.isBlank()) {
                        throw new UsageException(arg + " must not be blank");
                    }
                    alias = value;
                    break;
                case "-c":
                case "--ctx-size":
                    ctxSize = integer(arg, value, 0, 1 << 24);
                    break;
                case "-ngl":
                case "--gpu-layers":
                case "--n-gpu-layers":
                    gpuLayers = integer(arg, value, -1, 100_000);
                    break;
                case "-np":
                case "--parallel":
                    parallel = integer(arg, value, 1, 256);
                    break;
                case "--api-key":
                    if (value.isEmpty()) {
                        throw new UsageException("--api-key must not be empty");
                    }
                    apiKey = value;
                    break;
                default: // -t / --threads
                    threads = integer(arg, value, 1, 1024);
                    break;
            }
        }
        if (model == null) {
            throw new UsageException("-m/--model is required");
        }
        if (apiKey == null && environment.get(API_KEY_VARIABLE) != null
                && !environment.get(API_KEY_VARIABLE).isBlank()) {
            apiKey = environment.get(API_KEY_VARIABLE);
        }
        return Optional.of(new ServerOptions(model, host, port, Optional.ofNullable(alias), optional(ctxSize),
                optional(gpuLayers), parallel, embeddings, rerank, Optional.ofNullable(apiKey), optional(threads),
                verbose));
    }

    /** The model id clients see: the alias, else the model's file name. */
    public String modelId() {
        return alias.orElseGet(() -> model.getFileName().toString());
    }

    private static boolean takesValue(String arg) {
        switch (arg) {
            case "-m": case "--model": case "--host": case "--port": case "-a": case "--alias": case "-c": case "--ctx-size":
            case "-ngl": case "--gpu-layers": case "--n-gpu-layers": case "-np": case "--parallel": case "--api-key":
            case "-t": case "--threads":
                return true;
            default:
                return false;
        }
    }

    private static boolean flag(String arg, String inlineValue) throws UsageException {
        if (inlineValue != null) {
            throw new UsageException(arg + " takes no value");
        }
        return true;
    }

    private static int integer(String arg, String value, int min, int max) throws UsageException {
        try {
            int v = Integer.parseInt(value.trim());
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new UsageException(arg + " must be an integer from " + min + " to " + max + ", got '" + value + "'");
        }
    }

    private static OptionalInt optional(Integer v) {
        return v == null ? OptionalInt.empty() : OptionalInt.of(v);
    }

    /** Hides the API key, so that the options can be logged. */
    @Override
    public String toString() {
        return "ServerOptions[model=" + model + ", host=" + host + ", port=" + port + ", alias=" + alias
                + ", ctxSize=" + ctxSize + ", gpuLayers=" + gpuLayers + ", parallel=" + parallel
                + ", embeddings=" + embeddings + ", rerank=" + rerank + ", apiKey=" + (apiKey.isPresent() ? "***" : "none")
                + ", threads=" + threads + ", verbose=" + verbose + "]";
    }
}
