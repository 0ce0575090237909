package dev.gpufleet.registry.gguf;

import java.util.List;

/**
 * A metadata array. Only the first few elements are kept (a vocabulary has 150k strings and nobody needs them to
 * size a model); {@code count} is always the full length.
 *
 * @param firstValues up to the reader's limit; nested arrays appear as {@link GgufArray}
 */
public record GgufArray(GgufValueType elementType, long count, List<Object> firstValues) {
    public GgufArray {
        firstValues = List.copyOf(firstValues);
    }

    public boolean complete() {
        return firstValues.size() == count;
    }
}
