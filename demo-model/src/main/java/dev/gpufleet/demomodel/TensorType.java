package dev.gpufleet.demomodel;

import java.util.Locale;

/** The ggml tensor encodings the writer produces. */
public enum TensorType {
    F32(0, 0),
    F16(1, 1),
    /** Blocks of 32 values: an fp16 scale followed by 32 int8. */
    Q8_0(8, 7),
    /**
     * Super-blocks of 256 values: fp16 d and dmin, twelve bytes of 6-bit scales and mins for the eight sub-blocks
     * of 32, then 128 bytes of 4-bit quants (ggml's block_q4_K). Written as file type Q4_K_M although every tensor
     * is Q4_K (llama-quantize's Q4_K_M keeps some at Q6_K).
     */
    Q4_K(12, 15);

    public static final int Q8_0_BLOCK = 32;
    public static final int Q4_K_BLOCK = 256;
    static final int Q4_K_BLOCK_BYTES = 2 + 2 + 12 + Q4_K_BLOCK / 2;

    /** ggml_type id written in the tensor infos. */
    public final int ggmlId;
    /** llama_ftype written as {@code general.file_type} for a file whose big tensors use this type. */
    public final int fileType;

    TensorType(int ggmlId, int fileType) {
        this.ggmlId = ggmlId;
        this.fileType = fileType;
    }

    public long bytesFor(long elements) {
        switch (this) {
            case F32:
                return elements * 4;
            case F16:
                return elements * 2;
            case Q8_0:
                if (elements % Q8_0_BLOCK != 0) {
                    throw new IllegalArgumentException("Q8_0 needs a multiple of 32 elements, got " + elements);
                }
                return elements / Q8_0_BLOCK * (2 + Q8_0_BLOCK);
            case Q4_K:
                if (elements % Q4_K_BLOCK != 0) {
                    throw new IllegalArgumentException("Q4_K needs a multiple of 256 elements, got " + elements);
                }
                return elements / Q4_K_BLOCK * Q4_K_BLOCK_BYTES;
            default:
                throw new IllegalStateException(name());
        }
    }

    /** The row length (ne[0]) this type needs a multiple of. */
    public int blockSize() {
        return this == Q8_0 ? Q8_0_BLOCK : this == Q4_K ? Q4_K_BLOCK : 1;
    }

    /** The spelling used on command lines: f32, f16, q8_0, q4_k. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TensorType fromCliName(String name) {
        for (TensorType t : values()) {
            if (t.cliName().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown tensor type '" + name + "' (allowed: f32, f16, q8_0, q4_k)");
    }
}
