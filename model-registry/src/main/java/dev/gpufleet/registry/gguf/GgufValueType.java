package dev.gpufleet.registry.gguf;

/** GGUF metadata value types, numbered as the format defines them. */
public enum GgufValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(-1), ARRAY(-1),
    UINT64(8), INT64(8), FLOAT64(8);

    /** Encoded size of one value, -1 when variable. */
    public final int size;

    GgufValueType(int size) {
        this.size = size;
    }

    /** Fewest bytes one value of this type can take: what a claimed count is checked against. */
    int minimumEncodedSize() {
        switch (this) {
            case STRING:
                return 8;
            case ARRAY:
                return 12;
            default:
                return size;
        }
    }

    static GgufValueType of(int id) {
        GgufValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}
