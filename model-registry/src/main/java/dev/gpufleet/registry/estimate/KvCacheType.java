package dev.gpufleet.registry.estimate;

import java.util.Locale;

/** The KV cache element types llama-box accepts for {@code --cache-type-k/-v}, with their storage cost. */
public enum KvCacheType {
    F16(2, 1),
    /** Blocks of 32 values: an fp16 scale and 32 int8. */
    Q8_0(34, 32),
    /** Blocks of 32 values: an fp16 scale and 32 packed 4-bit values. */
    Q4_0(18, 32);

    private final long blockBytes;
    private final long blockElements;

    KvCacheType(long blockBytes, long blockElements) {
        this.blockBytes = blockBytes;
        this.blockElements = blockElements;
    }

    /** Bytes for {@code elements} values, whole blocks (a partial block costs a whole one). */
    public long bytes(long elements) {
        return (elements + blockElements - 1) / blockElements * blockBytes;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type for a command-line spelling ({@code f16}, {@code q8_0}, {@code q4_0}), or null when unknown. */
    public static KvCacheType fromCliName(String name) {
        for (KvCacheType t : values()) {
            if (t.cliName().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }
}
