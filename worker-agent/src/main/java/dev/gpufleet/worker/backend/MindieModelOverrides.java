package dev.gpufleet.worker.backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed's MindIE parameters that change the model's own files rather than MindIE's config: {@code --rope-scaling}
 * (a JSON object) and {@code --rope-theta} are merged into the model's {@code config.json} as {@code rope_scaling}
 * and {@code rope_theta}; {@code --dtype} sets its {@code torch_dtype} ({@code half}/{@code float16} → float16,
 * {@code bfloat16}, {@code float}/{@code float32} → float32; {@code auto} keeps the model's); and
 * {@code --override-generation-config} (a JSON object) is merged key by key into {@code generation_config.json}
 * (created when the model has none). Pure: the files' texts in, the changed texts out; the agent writes them into a
 * copy of the model directory so the user's files are never touched. The last occurrence of a flag wins.
 */
public final class MindieModelOverrides {
    public static final String CONFIG = "config.json";
    public static final String GENERATION_CONFIG = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, String> DTYPES = Map.of("half", "float16", "float16", "float16",
            "bfloat16", "bfloat16", "float", "float32", "float32", "float32");

    /**
     * @param files    file name → new text of each file to replace; empty when no parameter changes a file
     * @param problem  why the files cannot be changed (a model without a readable {@code config.json}, a value
     *                 that is not JSON); null when they can
     */
    public record Result(Map<String, String> files, String problem) {
        public boolean changes() {
            return !files.isEmpty();
        }
    }

    private MindieModelOverrides() {
    }

    /** The overrides the user's parameters ask for, or none. */
    public static boolean requested(List<String> parameters) {
        Map<String, String> v = values(parameters);
        return v.containsKey("--rope-scaling") || v.containsKey("--rope-theta")
                || v.containsKey("--override-generation-config")
                || (v.containsKey("--dtype") && !"auto".equals(v.get("--dtype")));
    }

    /**
     * @param configJson           the model's {@code config.json}; null when it has none
     * @param generationConfigJson the model's {@code generation_config.json}; null when it has none
     */
    public static Result apply(List<String> parameters, String configJson, String generationConfigJson) {
        Map<String, String> v = values(parameters);
        Map<String, String> files = new LinkedHashMap<>();
        try {
            String dtype = v.get("--dtype");
            boolean configChanges = v.containsKey("--rope-scaling") || v.containsKey("--rope-theta")
                    || (dtype != null && !"auto".equals(dtype));
            if (configChanges) {
                if (configJson == null) {
                    return new Result(Map.of(), "--rope-scaling, --rope-theta and --dtype change the model's "
                            + CONFIG + ", and the model directory has none");
                }
                ObjectNode config = object(configJson, "the model's " + CONFIG);
                if (v.containsKey("--rope-scaling")) {
                    config.set("rope_scaling", object(v.get("--rope-scaling"), "--rope-scaling"));
                }
                if (v.containsKey("--rope-theta")) {
                    double theta = number(v.get("--rope-theta"));
                    if (theta == Math.rint(theta) && theta < 1e15) {
                        config.put("rope_theta", (long) theta);
                    } else {
                        config.put("rope_theta", theta);
                    }
                }
                if (dtype != null && !"auto".equals(dtype)) {
                    String torchDtype = DTYPES.get(dtype);
                    if (torchDtype == null) {
                        return new Result(Map.of(), "--dtype must be one of auto, half, float16, bfloat16, float, "
                                + "float32, was '" + dtype + "'");
                    }
                    config.put("torch_dtype", torchDtype);
                }
                files.put(CONFIG, JSON.writeValueAsString(config));
            }
            if (v.containsKey("--override-generation-config")) {
                ObjectNode generation = generationConfigJson == null ? JSON.createObjectNode()
                        : object(generationConfigJson, "the model's " + GENERATION_CONFIG);
                generation.setAll(object(v.get("--override-generation-config"), "--override-generation-config"));
                files.put(GENERATION_CONFIG, JSON.writeValueAsString(generation));
            }
        } catch (IllegalArgumentException e) {
            return new Result(Map.of(), e.getMessage());
        } catch (JsonProcessingException e) {
            return new Result(Map.of(), "cannot write the model's changed config: " + e.getOriginalMessage());
        }
        return new Result(Map.copyOf(files), null);
    }

    private static Map<String, String> values(List<String> parameters) {
        Map<String, String> values = new LinkedHashMap<>();
        for (UserParameters.Parameter p : UserParameters.parse(parameters)) {
            if (p.flag() != null && p.value() != null && (p.flag().equals("--rope-scaling")
                    || p.flag().equals("--rope-theta") || p.flag().equals("--dtype")
                    || p.flag().equals("--override-generation-config"))) {
                values.put(p.flag(), p.value().strip());
            }
        }
        return values;
    }

    private static ObjectNode object(String text, String what) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is not JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException(what + " must be a JSON object");
        }
        return object;
    }

    private static double number(String text) {
        try {
            double d = Double.parseDouble(text);
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--rope-theta must be a number above 0, was '" + text + "'");
        }
    }
}
