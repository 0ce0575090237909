package dev.gpufleet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The model spec options of {@code models deploy} and {@code models evaluate}: a source (Hugging Face, ModelScope
 * or a path on the workers) and the spec's other fields, or a JSON spec file whose fields these options override.
 * The registry validates the spec; here only what the command line itself gets wrong is refused.
 */
public final class ModelSpecOptions {
    @Option(names = {"--huggingface", "--hf"}, paramLabel = "REPO",
            description = "A Hugging Face repository, e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF.")
    String huggingface;

    @Option(names = {"--modelscope", "--ms"}, paramLabel = "MODEL_ID", description = "A ModelScope model id.")
    String modelscope;

    @Option(names = "--path", paramLabel = "PATH",
            description = "A model file or directory on the workers (a relative path is made absolute here).")
    String path;

    @Option(names = "--file-name", paramLabel = "GLOB",
            description = "The file in the repository (GGUF: needed for llama-box; a glob such as '*Q4_K_M.gguf' is fine).")
    String fileName;

    @Option(names = "--revision", paramLabel = "REV", description = "The repository's revision (branch, tag or commit).")
    String revision;

    @Option(names = {"-f", "--spec"}, paramLabel = "FILE",
            description = "A JSON model spec as the API takes it ('-' reads standard input); the options here override its fields.")
    String specFile;

    @Option(names = "--backend", paramLabel = "BACKEND",
            description = "llama-box, vllm, vox-box or mindie (default: chosen by the model).")
    String backend;

    @Option(names = "--backend-version", paramLabel = "VERSION")
    String backendVersion;

    @Option(names = "--backend-param", paramLabel = "FLAG",
            description = "A backend flag, e.g. --ctx-size=4096 (repeatable).")
    List<String> backendParameters;

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "An environment variable of the backend (repeatable).")
    List<String> env;

    @Option(names = "--replicas", paramLabel = "N", description = "How many instances (default 1).")
    Integer replicas;

    @Option(names = "--category", paramLabel = "CATEGORY",
            description = "llm, embedding, image, reranker, speech-to-text or text-to-speech (repeatable).")
    List<String> categories;

    @Option(names = "--placement", paramLabel = "STRATEGY", description = "spread or binpack.")
    String placement;

    @Option(names = "--worker-selector", paramLabel = "LABEL=VALUE",
            description = "Only workers with this label (repeatable).")
    List<String> workerSelector;

    @Option(names = "--gpu", paramLabel = "WORKER:TYPE:INDEX", description = "Only these GPUs (repeatable).")
    List<String> gpus;

    @Option(names = "--cpu-offloading", description = "Let layers that do not fit the GPUs run on the CPU.")
    Boolean cpuOffloading;

    @Option(names = "--distributed-inference", description = "Let one instance span several workers.")
    Boolean distributedInference;

    @Option(names = "--no-restart-on-error", description = "Leave a crashed instance in ERROR.")
    boolean noRestartOnError;

    /**
     * The spec to send: the file's (if any), then the name and every option given.
     *
     * @param name  the model's name from the command line (null: the file's)
     * @param stdin where {@code -f -} reads from
     */
    public ObjectNode toSpec(String name, Path cwd, InputStream stdin) {
        ObjectNode spec = specFile == null ? Json.object() : readSpec(cwd, stdin);
        if (name != null) {
            spec.put("name", name);
        }
        int sources = (huggingface != null ? 1 : 0) + (modelscope != null ? 1 : 0) + (path != null ? 1 : 0);
        if (sources > 1) {
            throw CliException.usage("--huggingface, --modelscope and --path name the source: give one of them");
        }
        if (sources == 0 && !spec.has("source")) {
            throw CliException.usage("the model's source is missing: give --huggingface REPO, --modelscope ID "
                    + "or --path PATH (or a --spec file with a source)");
        }
        if (sources == 0 && (fileName != null || revision != null)) {
            ObjectNode source = spec.with("source");
            setSourceDetails(source, source.path("type").asText());
        } else if (sources == 1) {
            ObjectNode source = Json.object();
            if (huggingface != null) {
                source.put("type", "huggingface").put("repo_id", huggingface);
            } else if (modelscope != null) {
                source.put("type", "modelscope").put("model_id", modelscope);
            } else {
                source.put("type", "local_path").put("path", cwd.resolve(path).toAbsolutePath().normalize().toString());
            }
            setSourceDetails(source, source.get("type").asText());
            spec.set("source", source);
        }
        if (backend != null) {
            spec.put("backend", backend);
        }
        if (backendVersion != null) {
            spec.put("backend_version", backendVersion);
        }
        if (backendParameters != null) {
            spec.set("backend_parameters", strings(backendParameters));
        }
        if (env != null) {
            spec.set("env", pairs("--env", env));
        }
        if (replicas != null) {
            spec.put("replicas", replicas);
        }
        if (categories != null) {
            spec.set("categories", strings(categories));
        }
        if (placement != null) {
            spec.put("placement_strategy", placement);
        }
        if (workerSelector != null) {
            spec.set("worker_selector", pairs("--worker-selector", workerSelector));
        }
        if (gpus != null) {
            spec.set("gpu_selector", strings(gpus));
        }
        if (cpuOffloading != null) {
            spec.put("cpu_offloading", cpuOffloading);
        }
        if (distributedInference != null) {
            spec.put("distributed_inference", distributedInference);
        }
        if (noRestartOnError) {
            spec.put("restart_on_error", false);
        }
        if (!spec.hasNonNull("name")) {
            throw CliException.usage("the model's name is missing: give NAME (or a --spec file with a name)");
        }
        return spec;
    }

    private void setSourceDetails(ObjectNode source, String type) {
        if (fileName != null) {
            if (type.equals("local_path")) {
                throw CliException.usage("--file-name: only for --huggingface or --modelscope; --path names the file itself");
            }
            source.put(type.equals("modelscope") ? "file_path" : "file_name", fileName);
        }
        if (revision != null) {
            if (type.equals("local_path")) {
                throw CliException.usage("--revision: only for --huggingface or --modelscope");
            }
            source.put("revision", revision);
        }
    }

    private ObjectNode readSpec(Path cwd, InputStream stdin) {
        String text;
        try {
            text = specFile.equals("-") ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(cwd.resolve(specFile), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw CliException.usage("--spec: cannot read " + specFile + ": " + e.getMessage());
        }
        JsonNode node = Json.parse(text);
        if (node == null || !node.isObject()) {
            throw CliException.usage("--spec: " + specFile + " is not a JSON object (a model spec as "
                    + "POST /api/v1/models takes it)");
        }
        return (ObjectNode) node;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        values.forEach(array::add);
        return array;
    }

    private static ObjectNode pairs(String option, List<String> values) {
        ObjectNode object = Json.object();
        List<String> bad = new ArrayList<>();
        for (String value : values) {
            int eq = value.indexOf('=');
            if (eq <= 0) {
                bad.add(value);
            } else {
                object.put(value.substring(0, eq), value.substring(eq + 1));
            }
        }
        if (!bad.isEmpty()) {
            throw CliException.usage(option + ": must be NAME=VALUE, was '" + bad.get(0) + "'");
        }
        return object;
    }
}
