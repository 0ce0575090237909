package dev.gpufleet.worker.backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * The context length a Hugging Face model allows, from its {@code config.json} the way vLLM derives it: the
 * smallest of the length keys present (a multimodal model's {@code text_config} when it has one), scaled by the
 * RoPE scaling factor except for the types that already account for it ({@code su}, {@code longrope},
 * {@code llama3}); {@code yarn} scales {@code original_max_position_embeddings}.
 */
public final class ModelMaxLength {
    static final List<String> LENGTH_KEYS = List.of("max_position_embeddings", "n_positions", "max_seq_len",
            "seq_length", "model_max_length", "max_target_positions", "max_sequence_length", "max_seq_length",
            "seq_len");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelMaxLength() {
    }

    /** Empty when the text is not JSON or names no length. */
    public static OptionalInt derive(String configJson) {
        JsonNode config;
        try {
            config = JSON.readTree(configJson);
        } catch (Exception e) {
            return OptionalInt.empty();
        }
        if (config == null || !config.isObject()) {
            return OptionalInt.empty();
        }
        if (config.path("text_config").isObject()) {
            config = config.get("text_config");
        }
        long length = Long.MAX_VALUE;
        for (String key : LENGTH_KEYS) {
            JsonNode value = config.get(key);
            if (value != null && value.isNumber() && value.asLong() > 0) {
                length = Math.min(length, value.asLong());
            }
        }
        if (length == Long.MAX_VALUE) {
            return OptionalInt.empty();
        }
        JsonNode rope = config.get("rope_scaling");
        if (rope != null && rope.isObject()) {
            String type = rope.path("rope_type").asText(rope.path("type").asText("")).toLowerCase(Locale.ROOT);
            double factor = rope.path("factor").asDouble(1.0);
            if (type.equals("yarn") && rope.has("original_max_position_embeddings")) {
                length = (long) (rope.get("original_max_position_embeddings").asLong() * factor);
            } else if (!List.of("su", "longrope", "llama3").contains(type) && factor > 0) {
                length = (long) (length * factor);
            }
        }
        return OptionalInt.of((int) Math.min(Integer.MAX_VALUE, length));
    }
}
