package dev.gpufleet.registry.hfconfig;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import dev.gpufleet.registry.hub.HubFile;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a Hugging Face / ModelScope {@code config.json} (and {@code model.safetensors.index.json} or the
 * repository's file sizes) into a {@link ModelArchitecture} and a {@link ModelCategory}. Pure: strings and listings
 * in, a {@link ConfigAnalysis} out; bad input gives a problem naming what is wrong, never an exception.
 *
 * <p>Weights: config.json does not say how bytes split across layers, so the whole weight size goes into
 * {@code otherBytes} and {@code layerWeightBytes} stays empty; {@code weightBytes()} is the total vLLM needs.
 *
 * <p>Text-model numbers are looked up like GPUStack does for multimodal configs: {@code llm_config}, then
 * {@code text_config}, then the root, then {@code thinker_config.text_config}.
 */
public final class HfConfigParser {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> WEIGHT_SUFFIXES = List.of(".bin", ".pt", ".pth");
    private static final Map<String, String> DTYPES = Map.of(
            "bfloat16", "BF16", "float16", "F16", "half", "F16", "float32", "F32", "float", "F32",
            "float8_e4m3fn", "F8_E4M3");
    private static final Map<String, Integer> DTYPE_BYTES = Map.of("BF16", 2, "F16", 2, "F32", 4, "F8_E4M3", 1);

    private final ArchitectureCategories categories;

    public HfConfigParser(ArchitectureCategories categories) {
        this.categories = categories;
    }

    public HfConfigParser() {
        this(ArchitectureCategories.standard());
    }

    /**
     * @param repoId                owner/name (or a local path), for speech models known by name
     * @param configJson            the text of config.json (or a diffusers model_index.json); null when absent
     * @param safetensorsIndexJson  the text of model.safetensors.index.json, or null
     * @param files                 the repository listing with sizes (may be empty)
     */
    public ConfigAnalysis parse(String repoId, String configJson, String safetensorsIndexJson, List<HubFile> files) {
        List<HubFile> listing = files == null ? List.of() : files;
        JsonNode config;
        if (configJson == null) {
            config = JSON.createObjectNode();
        } else {
            try {
                config = JSON.readTree(configJson);
            } catch (JsonProcessingException e) {
                return ConfigAnalysis.failed("config.json is not valid JSON: " + firstLine(e.getOriginalMessage()));
            }
            if (config == null || !config.isObject()) {
                return ConfigAnalysis.failed("config.json is not a JSON object");
            }
        }
        Optional<SpeechModels.Match> speech = SpeechModels.identify(repoId,
                listing.stream().map(HubFile::path).toList());

        String architecture = architectureName(config);
        Optional<ModelCategory> category = categories.categoryOf(architecture);
        if (speech.isPresent() && (architecture == null || category.isEmpty()
                || SpeechModels.TABLE.stream().anyMatch(e -> e.name().matcher(lastSegment(repoId)).matches()))) {
            // The seed's vox-box models: config.json (if any) is CTranslate2's or the framework's own.
            return new ConfigAnalysis(speechArchitecture(speech.get(), listing), speech.get().category(),
                    "weight files", null);
        }
        if (configJson == null) {
            return ConfigAnalysis.failed("the repository has no config.json");
        }
        if (architecture == null) {
            return ConfigAnalysis.failed("config.json names no architecture (\"architectures\" is missing or empty)");
        }

        List<String> problems = new ArrayList<>();
        Numbers numbers = new Numbers(config, problems);
        int layers = numbers.get("num_hidden_layers", "n_layer", "num_layers");
        int heads = numbers.get("num_attention_heads", "n_head");
        int kvHeads = numbers.get("num_key_value_heads", "multi_query_group_num", "n_head_kv");
        int hidden = numbers.get("hidden_size", "n_embd", "d_model");
        int intermediate = numbers.get("intermediate_size", "ffn_hidden_size", "n_inner");
        int positions = numbers.get("max_position_embeddings", "n_positions", "seq_length", "max_seq_len");
        int vocab = numbers.get("vocab_size", "padded_vocab_size");
        int headDim = numbers.get("head_dim");
        if (!problems.isEmpty()) {
            return ConfigAnalysis.failed("config.json: " + String.join("; ", problems));
        }
        if (kvHeads == 0) {
            kvHeads = heads;
        }
        if (headDim == 0 && heads > 0) {
            headDim = hidden / heads;
        }

        String quantization = quantization(config);
        Weights weights = weights(safetensorsIndexJson, listing, problems);
        if (!problems.isEmpty()) {
            return ConfigAnalysis.failed(String.join("; ", problems));
        }
        long parameters = weights.parameters();
        Integer bytesPerParameter = DTYPE_BYTES.get(quantization);
        if (parameters == 0 && bytesPerParameter != null) {
            parameters = weights.bytes() / bytesPerParameter;
        }

        ModelCategory known = category.orElse(null);
        ModelArchitecture result = new ModelArchitecture(architecture, quantization, parameters, layers, hidden,
                intermediate, heads, kvHeads, headDim, positions, vocab, weights.bytes(), List.of(), 0, 0,
                weights.bytes(), known == ModelCategory.EMBEDDING, known == ModelCategory.RERANKER, 0);
        String problem = known != null ? null : "architecture " + architecture
                + " is not one that vLLM supports or that a naming rule recognises; its category is unknown";
        return new ConfigAnalysis(result, known, weights.source(), problem);
    }

    private static String architectureName(JsonNode config) {
        JsonNode architectures = config.path("architectures");
        if (architectures.isArray() && architectures.size() > 0 && architectures.get(0).isTextual()
                && !architectures.get(0).asText().isBlank()) {
            return architectures.get(0).asText();
        }
        JsonNode pipeline = config.path("_class_name");
        return pipeline.isTextual() && !pipeline.asText().isBlank() ? pipeline.asText() : null;
    }

    private static String quantization(JsonNode config) {
        JsonNode method = config.path("quantization_config").path("quant_method");
        if (method.isTextual() && !method.asText().isBlank()) {
            return method.asText().toUpperCase(Locale.ROOT);
        }
        for (JsonNode scope : List.of(config, config.path("text_config"), config.path("llm_config"))) {
            for (String key : List.of("torch_dtype", "dtype")) {
                JsonNode dtype = scope.path(key);
                if (dtype.isTextual()) {
                    String name = dtype.asText().toLowerCase(Locale.ROOT).replace("torch.", "");
                    return DTYPES.getOrDefault(name, name.toUpperCase(Locale.ROOT));
                }
            }
        }
        return "";
    }

    private record Weights(long bytes, long parameters, String source) {
    }

    private static Weights weights(String indexJson, List<HubFile> files, List<String> problems) {
        if (indexJson != null) {
            try {
                JsonNode metadata = JSON.readTree(indexJson).path("metadata");
                JsonNode total = metadata.path("total_size");
                if (total.canConvertToLong() && total.asLong() >= 0) {
                    JsonNode parameters = metadata.path("total_parameters");
                    return new Weights(total.asLong(),
                            parameters.canConvertToLong() && parameters.asLong() > 0 ? parameters.asLong() : 0,
                            "safetensors index");
                }
            } catch (JsonProcessingException e) {
                problems.add("model.safetensors.index.json is not valid JSON: " + firstLine(e.getOriginalMessage()));
                return new Weights(0, 0, "none");
            }
        }
        long safetensors = sumRootFiles(files, List.of(".safetensors"));
        if (safetensors > 0) {
            return new Weights(safetensors, 0, "safetensors files");
        }
        long other = sumRootFiles(files, WEIGHT_SUFFIXES);
        return other > 0 ? new Weights(other, 0, "weight files") : new Weights(0, 0, "none");
    }

    /** Root-level files only, like GPUStack: sub-folders hold alternatives (onnx/, original/) not loaded by vLLM. */
    private static long sumRootFiles(List<HubFile> files, List<String> suffixes) {
        long sum = 0;
        for (HubFile file : files) {
            String path = file.path().toLowerCase(Locale.ROOT);
            if (!path.contains("/") && file.size() > 0 && suffixes.stream().anyMatch(path::endsWith)
                    && !path.equals("training_args.bin")) {
                sum += file.size();
            }
        }
        return sum;
    }

    private static ModelArchitecture speechArchitecture(SpeechModels.Match match, List<HubFile> files) {
        long bytes = sumRootFiles(files, List.of(".bin", ".pt", ".pth", ".safetensors", ".onnx"));
        return new ModelArchitecture(match.family(), "", 0, 0, 0, 0, 0, 0, 0, 0, 0, bytes, List.of(), 0, 0, bytes,
                false, false, 0);
    }

    private static String lastSegment(String repoId) {
        String name = repoId == null ? "" : repoId.replaceAll("/+$", "");
        return name.substring(name.lastIndexOf('/') + 1);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("");
    }

    /** Integer fields looked up in the text-model scopes; a present but unusable value is a problem. */
    private static final class Numbers {
        private final List<JsonNode> scopes;
        private final List<String> problems;

        Numbers(JsonNode config, List<String> problems) {
            this.scopes = List.of(config.path("llm_config"), config.path("text_config"), config,
                    config.path("thinker_config").path("text_config"));
            this.problems = problems;
        }

        int get(String... keys) {
            for (JsonNode scope : scopes) {
                for (String key : keys) {
                    JsonNode value = scope.path(key);
                    if (value.isMissingNode() || value.isNull()) {
                        continue;
                    }
                    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() < 0) {
                        problems.add(key + " must be a non-negative integer, got " + abbreviate(value.toString()));
                        return 0;
                    }
                    return value.asInt();
                }
            }
            return 0;
        }

        private static String abbreviate(String text) {
            return text.length() <= 40 ? text : text.substring(0, 40) + "…";
        }
    }
}
