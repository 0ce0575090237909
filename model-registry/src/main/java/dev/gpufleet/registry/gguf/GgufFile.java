package dev.gpufleet.registry.gguf;

import java.util.List;
import java.util.Map;

/**
 * A parsed GGUF header.
 *
 * @param metadata   key → value in file order: Long for integers (uint64 above 2^63 stays as its bit pattern),
 *                   Double/Float, Boolean, String, or {@link GgufArray}
 * @param dataOffset where the tensor data starts (the header end aligned to {@code alignment})
 */
public record GgufFile(String source, int version, Map<String, Object> metadata, List<GgufTensorInfo> tensors,
        int alignment, long dataOffset, long fileBytes) {
    public GgufFile {
        metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    public String string(String key) {
        Object v = metadata.get(key);
        return v instanceof String ? (String) v : null;
    }

    /** An integer value; null when absent or not an integer. */
    public Long integer(String key) {
        Object v = metadata.get(key);
        return v instanceof Long ? (Long) v : null;
    }

    public GgufArray array(String key) {
        Object v = metadata.get(key);
        return v instanceof GgufArray ? (GgufArray) v : null;
    }
}
