package dev.gpufleet.registry.gguf;

import java.util.List;

/**
 * One tensor's description in the header.
 *
 * @param dims   ggml order (ne[0] first)
 * @param offset relative to the file's data section
 */
public record GgufTensorInfo(String name, List<Long> dims, GgmlType type, long offset, long elements, long bytes) {
    public GgufTensorInfo {
        dims = List.copyOf(dims);
    }
}
