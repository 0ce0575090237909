package dev.gpufleet.registry.models;

import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ModelSpec;
import dev.gpufleet.events.spec.EnvRules;
import dev.gpufleet.events.spec.FlagRules;
import dev.gpufleet.events.spec.LocalRoots;
import dev.gpufleet.registry.backends.BackendParameters;
import dev.gpufleet.registry.backends.BackendSelector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks a {@link ModelSpecRequest} and turns it into the {@link ModelSpec} the registry stores and publishes,
 * with DESIGN §4's defaults applied. Reports every problem at once, each naming the field, the bad value and what
 * is allowed. Values of {@code env} are never echoed: they may hold secrets.
 */
public final class ModelSpecValidator {
    public static final int MAX_NAME_LENGTH = 63;
    public static final int MIN_REPLICAS = 0;
    public static final int MAX_REPLICAS = 1000;
    public static final String SPREAD = "spread";
    public static final String BINPACK = "binpack";
    public static final List<String> PLACEMENT_STRATEGIES = List.of(SPREAD, BINPACK);
    public static final List<String> SOURCE_TYPES =
            List.of(ModelSource.HUGGINGFACE, ModelSource.MODELSCOPE, ModelSource.LOCAL_PATH);
    /** GPUStack's model categories. */
    public static final List<String> CATEGORIES = List.of("llm", "embedding", "image", "reranker",
            BackendSelector.SPEECH_TO_TEXT, BackendSelector.TEXT_TO_SPEECH);

    static final List<String> SPEC_FIELDS = List.of("name", "source", "backend", "backend_version",
            "backend_parameters", "env", "replicas", "categories", "placement_strategy", "cpu_offloading",
            "distributed_inference", "worker_selector", "gpu_selector", "restart_on_error",
            "allow_unknown_parameters", "allow_overcommit");
    /** The categories MindIE does not serve (the seed: no embedding models, no multimodal generation models). */
    public static final List<String> MINDIE_REFUSED_CATEGORIES = List.of("embedding", "reranker", "image",
            BackendSelector.TEXT_TO_SPEECH, BackendSelector.SPEECH_TO_TEXT);
    static final List<String> SOURCE_FIELDS =
            List.of("type", "repo_id", "file_name", "revision", "model_id", "file_path", "path");

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0," + (MAX_NAME_LENGTH - 1) + "}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern NO_WHITESPACE = Pattern.compile("\\S+");
    /** {@code <worker name>:<device type>:<gpu index>}, as GPUStack's gpu_selector. */
    private static final Pattern GPU_ID = Pattern.compile(".+:[^:]+:\\d+");
    /** An absolute path on a worker: POSIX or a Windows drive path. */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("/.*|[A-Za-z]:[\\\\/].*");
    private static final int MAX_SHOWN_VALUE = 80;
    /** The worker labels the agent reports for its platform. */
    private static final String OS_LABEL = "os";
    private static final String ARCH_LABEL = "arch";
    private static final String LINUX = "linux";

    private ModelSpecValidator() {
    }

    /**
     * Either a spec (no errors) or the errors (no spec). Warnings (e.g. a backend flag newer than our table) do
     * not refuse the spec and may come with either.
     */
    public record Result(ModelSpec spec, List<FieldError> errors, List<FieldError> warnings) {
        public Result(ModelSpec spec, List<FieldError> errors) {
            this(spec, errors, List.of());
        }

        public boolean valid() {
            return errors.isEmpty();
        }

        /** All problems in one line, for a 400 message. */
        public String message() {
            return "Invalid model spec: " + String.join("; ", errors.stream().map(FieldError::toString).toList());
        }
    }

    /**
     * {@link #validate(ModelSpecRequest)}, and a {@code local_path} source must lie under one of {@code roots}
     * ({@code gpufleet.models.local-roots}).
     */
    public static Result validate(ModelSpecRequest request, LocalRoots roots) {
        Result result = validate(request);
        if (!result.valid() || !ModelSource.LOCAL_PATH.equals(result.spec().source().type())) {
            return result;
        }
        return roots.refusal(result.spec().source().path())
                .map(reason -> new Result(null, List.of(new FieldError("source.path", reason)), result.warnings()))
                .orElse(result);
    }

    /** The spec alone, without the host-specific check of local paths against the configured roots. */
    public static Result validate(ModelSpecRequest request) {
        List<FieldError> errors = new ArrayList<>();
        if (request == null) {
            return new Result(null, List.of(new FieldError("body", "required: a JSON model spec")));
        }
        unknownFields("", request.unknownFields(), SPEC_FIELDS, errors);

        String name = request.name();
        if (name == null || name.isEmpty()) {
            errors.add(new FieldError("name", "required"));
        } else if (!NAME.matcher(name).matches()) {
            errors.add(new FieldError("name", "must be 1 to " + MAX_NAME_LENGTH
                    + " characters of letters, digits, '.', '_' or '-', starting with a letter or digit, was "
                    + show(name)));
        }

        ModelSource source = source(request.source(), errors);

        List<String> categories = request.categories() == null ? List.of() : request.categories();
        for (int i = 0; i < categories.size(); i++) {
            String category = categories.get(i);
            if (!CATEGORIES.contains(category)) {
                errors.add(new FieldError("categories[" + i + "]", mustBeOneOf(CATEGORIES, category)));
            }
        }

        String backend = request.backend();
        if (backend != null && !BackendSelector.ALL.contains(backend)) {
            errors.add(new FieldError("backend", mustBeOneOf(BackendSelector.ALL, backend)
                    + " (or leave it unset to choose by the model)"));
            backend = null;
        }
        if (backend == null && source != null) {
            backend = BackendSelector.select(source, categories);
        }
        if (source != null && BackendSelector.LLAMA_BOX.equals(backend)) {
            requireGgufFile(source, errors);
        }

        String backendVersion = request.backendVersion();
        if (backendVersion != null && !NO_WHITESPACE.matcher(backendVersion).matches()) {
            errors.add(new FieldError("backend_version", "must be a version without spaces, was "
                    + show(backendVersion)));
        }

        List<String> backendParameters = request.backendParameters() == null ? List.of()
                : request.backendParameters();
        boolean allowUnknownParameters = Boolean.TRUE.equals(request.allowUnknownParameters());
        if (!allowUnknownParameters) {
            for (FlagRules.Needed needed : FlagRules.needingOptIn(backend, backendParameters)) {
                errors.add(new FieldError("backend_parameters[" + needed.index() + "]", needed.why()
                        + ": allowed only for a model an admin registers with allow_unknown_parameters: true"));
            }
        }
        List<FieldError> warnings = new ArrayList<>();
        if (backend == null) {
            for (int i = 0; i < backendParameters.size(); i++) {
                String parameter = backendParameters.get(i);
                if (parameter == null || parameter.isBlank()) {
                    errors.add(new FieldError("backend_parameters[" + i + "]",
                            "must be a command-line argument such as '--ctx-size=8192', was " + show(parameter)));
                }
            }
        } else {
            BackendParameters.Check check = BackendParameters.check(backend, backendParameters,
                    allowUnknownParameters);
            for (BackendParameters.Problem problem : check.errors()) {
                errors.add(parameterProblem(backend, problem, true));
            }
            for (BackendParameters.Problem problem : check.warnings()) {
                warnings.add(parameterProblem(backend, problem, false));
            }
        }

        Map<String, String> env = request.env() == null ? Map.of() : request.env();
        for (Map.Entry<String, String> e : new TreeMap<>(nullSafe(env)).entrySet()) {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                errors.add(new FieldError("env", "variable names must be letters, digits and '_', not starting "
                        + "with a digit, was " + show(e.getKey())));
            } else if (e.getValue() == null) {
                errors.add(new FieldError("env." + e.getKey(), "must be a string, was null"));
            } else {
                EnvRules.refusal(e.getKey()).ifPresent(reason ->
                        errors.add(new FieldError("env." + e.getKey(), "not allowed: " + reason)));
            }
        }

        int replicas = request.replicas() == null ? 1 : request.replicas();
        if (replicas < MIN_REPLICAS || replicas > MAX_REPLICAS) {
            errors.add(new FieldError("replicas", "must be between " + MIN_REPLICAS + " and " + MAX_REPLICAS
                    + ", was " + replicas));
        }

        String placementStrategy = request.placementStrategy() == null ? SPREAD : request.placementStrategy();
        if (!PLACEMENT_STRATEGIES.contains(placementStrategy)) {
            errors.add(new FieldError("placement_strategy", mustBeOneOf(PLACEMENT_STRATEGIES, placementStrategy)));
        }

        if (BackendSelector.MINDIE.equals(backend)) {
            for (int i = 0; i < categories.size(); i++) {
                if (MINDIE_REFUSED_CATEGORIES.contains(categories.get(i))) {
                    errors.add(new FieldError("categories[" + i + "]", "backend mindie serves language and "
                            + "multimodal language models only, not " + show(categories.get(i))
                            + " (embedding, reranker, image and audio models are not supported)"));
                }
            }
        }

        // the seed: llama-box offloads to the CPU, and vox-box falls back to the CPU by itself when GPUs are short
        boolean cpuOffloading = request.cpuOffloading() == null
                ? BackendSelector.LLAMA_BOX.equals(backend) || BackendSelector.VOX_BOX.equals(backend)
                : request.cpuOffloading();
        if (cpuOffloading && (BackendSelector.VLLM.equals(backend) || BackendSelector.MINDIE.equals(backend))) {
            errors.add(new FieldError("cpu_offloading", "must be false for backend " + backend
                    + ": only llama-box offloads layers to the CPU"));
        }

        boolean distributedInference = Boolean.TRUE.equals(request.distributedInference());
        if (distributedInference && BackendSelector.VOX_BOX.equals(backend)) {
            errors.add(new FieldError("distributed_inference", "must be false for backend vox-box: "
                    + "speech models run on one GPU or the CPU"));
        }

        Map<String, String> workerSelector = request.workerSelector() == null ? Map.of() : request.workerSelector();
        for (Map.Entry<String, String> e : new TreeMap<>(nullSafe(workerSelector)).entrySet()) {
            if (e.getKey().isBlank()) {
                errors.add(new FieldError("worker_selector", "label names must not be blank"));
            } else if (e.getValue() == null) {
                errors.add(new FieldError("worker_selector." + e.getKey(), "must be a string, was null"));
            }
        }

        platformRules(backend, source, workerSelector, errors);

        List<String> gpuSelector = request.gpuSelector() == null ? List.of() : request.gpuSelector();
        for (int i = 0; i < gpuSelector.size(); i++) {
            String gpu = gpuSelector.get(i);
            if (gpu == null || !GPU_ID.matcher(gpu).matches()) {
                errors.add(new FieldError("gpu_selector[" + i + "]",
                        "must be '<worker name>:<device type>:<gpu index>', e.g. 'node-1:cuda:0', was " + show(gpu)));
            }
        }

        boolean allowOvercommit = Boolean.TRUE.equals(request.allowOvercommit());
        if (allowOvercommit && gpuSelector.isEmpty()) {
            errors.add(new FieldError("allow_overcommit", "only with a gpu_selector: automatic placement never "
                    + "overcommits; select the workers' GPUs or leave it false"));
        }

        if (!errors.isEmpty()) {
            return new Result(null, List.copyOf(errors), List.copyOf(warnings));
        }
        if (BackendSelector.VLLM.equals(backend) && workerSelector.isEmpty() && gpuSelector.isEmpty()) {
            workerSelector = Map.of(OS_LABEL, LINUX);
        }
        boolean restartOnError = request.restartOnError() == null || request.restartOnError();
        ModelSpec spec = new ModelSpec(name, source, backend, backendVersion, backendParameters, env, replicas,
                categories, placementStrategy, cpuOffloading, distributedInference, workerSelector, gpuSelector,
                restartOnError, allowUnknownParameters, allowOvercommit);
        return new Result(spec, List.of(), List.copyOf(warnings));
    }

    private static FieldError parameterProblem(String backend, BackendParameters.Problem problem, boolean refused) {
        return new FieldError("backend_parameters[" + problem.index() + "]",
                problem.message() + " (backend " + backend + ")"
                        + (refused && problem.message().startsWith("unknown flag")
                        ? "; a flag the backend's table does not know needs allow_unknown_parameters: true, set by "
                        + "an admin" : ""));
    }

    /**
     * A worker selector that names an OS or architecture the backend cannot run on can never be placed: vLLM and
     * MindIE are Linux-only; a vox-box model runs where the seed's table says.
     */
    private static void platformRules(String backend, ModelSource source, Map<String, String> workerSelector,
                                      List<FieldError> errors) {
        String os = workerSelector.get(OS_LABEL);
        String arch = workerSelector.get(ARCH_LABEL);
        if ((BackendSelector.VLLM.equals(backend) || BackendSelector.MINDIE.equals(backend)) && os != null
                && !LINUX.equals(os)) {
            errors.add(new FieldError("worker_selector." + OS_LABEL, "backend " + backend
                    + " runs only on Linux workers, so it must be 'linux' or unset, was " + show(os)));
        }
        if (BackendSelector.VOX_BOX.equals(backend) && source != null) {
            BackendSelector.speechModel(source).filter(model -> !model.runsOn(os, arch)).ifPresent(model ->
                    errors.add(new FieldError("worker_selector", model.name() + " runs only on "
                            + String.join(", ", new TreeSet<>(model.platforms())) + ", not on os=" + os
                            + (arch == null ? "" : " arch=" + arch))));
        }
    }

    private static ModelSource source(ModelSpecRequest.Source source, List<FieldError> errors) {
        if (source == null) {
            errors.add(new FieldError("source", "required: {\"type\": one of " + String.join(", ", SOURCE_TYPES)
                    + ", ...}"));
            return null;
        }
        unknownFields("source.", source.unknownFields(), SOURCE_FIELDS, errors);
        String type = source.type();
        if (type == null) {
            errors.add(new FieldError("source.type", "required, one of " + String.join(", ", SOURCE_TYPES)));
            return null;
        }
        if (!SOURCE_TYPES.contains(type)) {
            errors.add(new FieldError("source.type", mustBeOneOf(SOURCE_TYPES, type)));
            return null;
        }
        int before = errors.size();
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("repo_id", source.repoId());
        fields.put("file_name", source.fileName());
        fields.put("model_id", source.modelId());
        fields.put("file_path", source.filePath());
        fields.put("path", source.path());
        fields.put("revision", source.revision());
        List<String> used = switch (type) {
            case ModelSource.HUGGINGFACE -> List.of("repo_id", "file_name", "revision");
            case ModelSource.MODELSCOPE -> List.of("model_id", "file_path", "revision");
            default -> List.of("path");
        };
        for (Map.Entry<String, String> field : fields.entrySet()) {
            String key = field.getKey();
            String value = field.getValue();
            if (value == null) {
                continue;
            }
            if (!used.contains(key)) {
                errors.add(new FieldError("source." + key, "not used by " + type + " sources (they use "
                        + String.join(", ", used) + ")"));
            } else if (value.isBlank()) {
                errors.add(new FieldError("source." + key, "must not be blank"));
            } else if (!"path".equals(key) && !NO_WHITESPACE.matcher(value).matches()) {
                errors.add(new FieldError("source." + key, "must not contain spaces, was " + show(value)));
            }
        }
        switch (type) {
            case ModelSource.HUGGINGFACE -> require("source.repo_id", source.repoId(),
                    "e.g. 'Qwen/Qwen2.5-7B-Instruct'", errors);
            case ModelSource.MODELSCOPE -> require("source.model_id", source.modelId(),
                    "e.g. 'qwen/Qwen2.5-7B-Instruct'", errors);
            default -> {
                require("source.path", source.path(), "an absolute path on the workers", errors);
                if (source.path() != null && !source.path().isBlank()
                        && !ABSOLUTE_PATH.matcher(source.path()).matches()) {
                    errors.add(new FieldError("source.path", "must be an absolute path on the workers, was "
                            + show(source.path())));
                }
            }
        }
        if (errors.size() > before) {
            return null;
        }
        return new ModelSource(type, source.repoId(), source.fileName(), source.revision(), source.modelId(),
                source.filePath(), source.path());
    }

    /** llama-box serves one GGUF file, so the source must say which (a glob is fine). */
    private static void requireGgufFile(ModelSource source, List<FieldError> errors) {
        if (BackendSelector.isGguf(source)) {
            return;
        }
        switch (source.type()) {
            case ModelSource.HUGGINGFACE -> errors.add(new FieldError("source.file_name",
                    "backend llama-box needs a GGUF file name (a glob like '*Q4_K_M*.gguf' is fine), was "
                            + show(source.fileName())));
            case ModelSource.MODELSCOPE -> errors.add(new FieldError("source.file_path",
                    "backend llama-box needs a GGUF file path (a glob like '*Q4_K_M*.gguf' is fine), was "
                            + show(source.filePath())));
            default -> errors.add(new FieldError("source.path",
                    "backend llama-box needs the path of a .gguf file, was " + show(source.path())));
        }
    }

    private static void require(String field, String value, String example, List<FieldError> errors) {
        if (value == null) {
            errors.add(new FieldError(field, "required for this source type, " + example));
        }
    }

    private static void unknownFields(String prefix, Map<String, Object> unknown, List<String> known,
                                      List<FieldError> errors) {
        if (unknown == null) {
            return;
        }
        for (String field : new TreeSet<>(unknown.keySet())) {
            errors.add(new FieldError(prefix + field, "unknown field; known fields are " + String.join(", ", known)));
        }
    }

    private static String mustBeOneOf(List<String> allowed, String value) {
        return "must be one of " + String.join(", ", allowed) + ", was " + show(value);
    }

    private static <V> Map<String, V> nullSafe(Map<String, V> map) {
        Map<String, V> copy = new HashMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNullElse(k, ""), v));
        return copy;
    }

    /** A bad value as the message shows it: quoted, shortened, never multi-line. */
    static String show(String value) {
        if (value == null) {
            return "null";
        }
        String oneLine = value.replaceAll("[\\r\\n\\t]", " ");
        return "'" + (oneLine.length() > MAX_SHOWN_VALUE ? oneLine.substring(0, MAX_SHOWN_VALUE) + "..." : oneLine)
                + "'";
    }
}
