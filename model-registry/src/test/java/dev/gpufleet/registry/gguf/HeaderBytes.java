package dev.gpufleet.registry.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes GGUF header fields by hand, little-endian, so tests can build any header (valid or not). */
final class HeaderBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static HeaderBytes gguf(int version, long tensors, long kvs) {
        return new HeaderBytes().u32(0x46554747).u32(version).u64(tensors).u64(kvs);
    }

    HeaderBytes u8(int v) {
        out.write(v);
        return this;
    }

    HeaderBytes u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    HeaderBytes u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    HeaderBytes u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    HeaderBytes f32(float v) {
        return u32(Float.floatToIntBits(v));
    }

    HeaderBytes f64(double v) {
        return u64(Double.doubleToLongBits(v));
    }

    HeaderBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    /** A key and its value type id; the caller writes the value. */
    HeaderBytes key(String key, GgufValueType type) {
        return str(key).u32(type.ordinal());
    }

    /** A tensor info. */
    HeaderBytes tensor(String name, GgmlType type, long offset, long... dims) {
        str(name).u32(dims.length);
        for (long d : dims) {
            u64(d);
        }
        return u32(type.id).u64(offset);
    }

    HeaderBytes zeros(int n) {
        out.writeBytes(new byte[n]);
        return this;
    }

    int size() {
        return out.size();
    }

    /** Pads to the alignment (the data section start). */
    HeaderBytes align(int alignment) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
