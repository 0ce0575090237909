package dev.gpufleet.demomodel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes GGUF v3 files (little-endian). Metadata and tensor infos are kept in memory; tensor data is streamed
 * tensor by tensor through a fixed buffer, so a file of hundreds of MB needs almost no heap.
 */
public final class GgufWriter {

    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    /** GGUF metadata value types, numbered as the format defines them. */
    public enum ValueType {
        UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1), STRING(-1), ARRAY(-1),
        UINT64(8), INT64(8), FLOAT64(8);

        public final int size;

        ValueType(int size) {
            this.size = size;
        }

        public int id() {
            return ordinal();
        }
    }

    /** Produces one tensor's values in ggml order (ne[0] varies fastest). */
    public interface TensorData {
        void writeTo(TensorSink sink) throws IOException;
    }

    /** Receives float values and encodes them as the tensor's type. */
    public interface TensorSink {
        void put(float value) throws IOException;
    }

    private record Metadata(String key, ValueType type, ValueType elementType, Object value) {}

    private record Tensor(String name, long[] dims, TensorType type, TensorData data) {
        long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        long bytes() {
            return type.bytesFor(elements());
        }
    }

    private final List<Metadata> metadata = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private final Set<String> keys = new HashSet<>();
    private final Set<String> tensorNames = new HashSet<>();
    private int alignment = DEFAULT_ALIGNMENT;

    public GgufWriter uint8(String key, int v) { return add(key, ValueType.UINT8, null, v); }
    public GgufWriter int8(String key, int v) { return add(key, ValueType.INT8, null, v); }
    public GgufWriter uint16(String key, int v) { return add(key, ValueType.UINT16, null, v); }
    public GgufWriter int16(String key, int v) { return add(key, ValueType.INT16, null, v); }
    public GgufWriter uint32(String key, long v) { return add(key, ValueType.UINT32, null, v); }
    public GgufWriter int32(String key, int v) { return add(key, ValueType.INT32, null, v); }
    public GgufWriter uint64(String key, long v) { return add(key, ValueType.UINT64, null, v); }
    public GgufWriter int64(String key, long v) { return add(key, ValueType.INT64, null, v); }
    public GgufWriter float32(String key, float v) { return add(key, ValueType.FLOAT32, null, v); }
    public GgufWriter float64(String key, double v) { return add(key, ValueType.FLOAT64, null, v); }
    public GgufWriter bool(String key, boolean v) { return add(key, ValueType.BOOL, null, v); }
    public GgufWriter string(String key, String v) { return add(key, ValueType.STRING, null, v); }

    public GgufWriter stringArray(String key, List<String> values) {
        return add(key, ValueType.ARRAY, ValueType.STRING, List.copyOf(values));
    }

    public GgufWriter float32Array(String key, float[] values) {
        return add(key, ValueType.ARRAY, ValueType.FLOAT32, values.clone());
    }

    public GgufWriter int32Array(String key, int[] values) {
        return add(key, ValueType.ARRAY, ValueType.INT32, values.clone());
    }

    /** Sets the data alignment and records it as {@code general.alignment}, as llama.cpp reads it. */
    public GgufWriter alignment(int bytes) {
        if (bytes <= 0 || (bytes & (bytes - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + bytes);
        }
        this.alignment = bytes;
        return uint32("general.alignment", bytes);
    }

    /** Adds a tensor; dims are in ggml order (ne[0] first, the fastest-varying dimension). */
    public GgufWriter tensor(String name, TensorType type, TensorData data, long... dims) {
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        if (dims.length < 1 || dims.length > 4) {
            throw new IllegalArgumentException(name + ": a tensor has 1 to 4 dimensions");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": " + type + " needs ne[0] % " + type.blockSize()
                    + " == 0, got " + dims[0]);
        }
        tensors.add(new Tensor(name, dims.clone(), type, data));
        return this;
    }

    private GgufWriter add(String key, ValueType type, ValueType elementType, Object value) {
        if (!keys.add(key)) {
            throw new IllegalArgumentException("duplicate metadata key " + key);
        }
        metadata.add(new Metadata(key, type, elementType, value));
        return this;
    }

    /** The exact size {@link #write} will produce, without producing any tensor data. */
    public long plannedSize() {
        return header().size() + dataSize();
    }

    private long dataSize() {
        long offset = 0;
        for (Tensor t : tensors) {
            offset = pad(offset + t.bytes(), alignment);
        }
        return offset;
    }

    /** Writes the file (replacing it) and returns its size in bytes. */
    public long write(Path path) throws IOException {
        LeBytes header = header();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ChannelSink out = new ChannelSink(channel);
            out.putBytes(header.array(), header.size());
            long dataWritten = 0;
            for (Tensor t : tensors) {
                long before = out.written;
                TypedSink sink = new TypedSink(out, t.type);
                t.data.writeTo(sink);
                sink.finish();
                long bytes = out.written - before;
                if (bytes != t.bytes()) {
                    throw new IllegalStateException(t.name + ": expected " + t.bytes() + " bytes of data, got " + bytes);
                }
                dataWritten += bytes;
                long padded = pad(dataWritten, alignment);
                out.zeros(padded - dataWritten);
                dataWritten = padded;
            }
            out.flush();
            return channel.size();
        }
    }

    private LeBytes header() {
        LeBytes h = new LeBytes();
        h.u32(MAGIC);
        h.u32(VERSION);
        h.u64(tensors.size());
        h.u64(metadata.size());
        for (Metadata m : metadata) {
            h.str(m.key);
            h.u32(m.type.id());
            if (m.type == ValueType.ARRAY) {
                h.u32(m.elementType.id());
                writeArray(h, m.elementType, m.value);
            } else {
                writeScalar(h, m.type, m.value);
            }
        }
        long offset = 0;
        for (Tensor t : tensors) {
            h.str(t.name);
            h.u32(t.dims.length);
            for (long d : t.dims) {
                h.u64(d);
            }
            h.u32(t.type.ggmlId);
            h.u64(offset);
            offset = pad(offset + t.bytes(), alignment);
        }
        while (h.size() % alignment != 0) {
            h.u8(0);
        }
        return h;
    }

    private static void writeScalar(LeBytes h, ValueType type, Object v) {
        switch (type) {
            case UINT8: case INT8: h.u8(((Number) v).intValue()); break;
            case UINT16: case INT16: h.u16(((Number) v).intValue()); break;
            case UINT32: case INT32: h.u32(((Number) v).intValue()); break;
            case UINT64: case INT64: h.u64(((Number) v).longValue()); break;
            case FLOAT32: h.u32(Float.floatToRawIntBits((Float) v)); break;
            case FLOAT64: h.u64(Double.doubleToRawLongBits((Double) v)); break;
            case BOOL: h.u8((Boolean) v ? 1 : 0); break;
            case STRING: h.str((String) v); break;
            default: throw new IllegalArgumentException("not a scalar: " + type);
        }
    }

    private static void writeArray(LeBytes h, ValueType elementType, Object values) {
        switch (elementType) {
            case STRING: {
                @SuppressWarnings("unchecked")
                List<String> list = (List<String>) values;
                h.u64(list.size());
                list.forEach(h::str);
                break;
            }
            case FLOAT32: {
                float[] a = (float[]) values;
                h.u64(a.length);
                for (float f : a) {
                    h.u32(Float.floatToRawIntBits(f));
                }
                break;
            }
            case INT32: {
                int[] a = (int[]) values;
                h.u64(a.length);
                for (int i : a) {
                    h.u32(i);
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unsupported array element type " + elementType);
        }
    }

    private static long pad(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    /** IEEE 754 binary32 to binary16, round to nearest even (Java 17 has no Float.floatToFloat16). */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) { // inf or NaN
            return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        }
        if (abs >= 0x477ff000) { // rounds to beyond the largest half
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) { // subnormal half or zero
            if (abs < 0x33000000) {
                return (short) sign;
            }
            int exponent = abs >>> 23;
            int mantissa = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exponent;
            int half = mantissa >>> shift;
            int remainder = mantissa & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (remainder > halfway || (remainder == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int rounded = abs + 0xfff + ((abs >>> 13) & 1);
        return (short) (sign | ((rounded - 0x38000000) >>> 13));
    }

    /** Buffers bytes for the channel. */
    private static final class ChannelSink {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        ChannelSink(FileChannel channel) {
            this.channel = channel;
        }

        ByteBuffer room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
            written += bytes;
            return buffer;
        }

        void putBytes(byte[] bytes, int length) throws IOException {
            int off = 0;
            while (off < length) {
                int n = Math.min(length - off, buffer.capacity());
                room(n).put(bytes, off, n);
                off += n;
            }
        }

        void zeros(long n) throws IOException {
            for (long i = 0; i < n; i++) {
                room(1).put((byte) 0);
            }
        }

        void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
    }

    /** Encodes floats as one tensor type. */
    private static final class TypedSink implements TensorSink {
        private final ChannelSink out;
        private final TensorType type;
        private final float[] block;
        private int inBlock;

        TypedSink(ChannelSink out, TensorType type) {
            this.out = out;
            this.type = type;
            this.block = new float[Math.max(type.blockSize(), 1)];
        }

        @Override
        public void put(float v) throws IOException {
            switch (type) {
                case F32:
                    out.room(4).putFloat(v);
                    break;
                case F16:
                    out.room(2).putShort(floatToHalf(v));
                    break;
                case Q8_0:
                    block[inBlock++] = v;
                    if (inBlock == block.length) {
                        flushBlock();
                    }
                    break;
                case Q4_K:
                    block[inBlock++] = v;
                    if (inBlock == block.length) {
                        out.room(TensorType.Q4_K_BLOCK_BYTES).put(Q4K.encode(block));
                        inBlock = 0;
                    }
                    break;
                default:
                    throw new IllegalStateException(type.name());
            }
        }

        private void flushBlock() throws IOException {
            float amax = 0;
            for (float f : block) {
                amax = Math.max(amax, Math.abs(f));
            }
            float scale = amax / 127f;
            float inverse = scale != 0 ? 1f / scale : 0f;
            ByteBuffer b = out.room(2 + block.length);
            b.putShort(floatToHalf(scale));
            for (float f : block) {
                b.put((byte) roundHalfAwayFromZero(f * inverse));
            }
            inBlock = 0;
        }

        /** Like C's roundf, which ggml's reference quantizer uses. */
        private static int roundHalfAwayFromZero(float x) {
            return (int) Math.copySign(Math.floor(Math.abs(x) + 0.5f), x);
        }

        void finish() {
            if (inBlock != 0) {
                throw new IllegalStateException(type + " data ended inside a block");
            }
        }
    }

    /** A growable little-endian byte array for the header. */
    private static final class LeBytes {
        private byte[] bytes = new byte[1 << 16];
        private int size;

        int size() { return size; }

        byte[] array() { return bytes; }

        private void grow(int n) {
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + n));
            }
        }

        void u8(int v) { grow(1); bytes[size++] = (byte) v; }

        void u16(int v) { grow(2); for (int i = 0; i < 2; i++) bytes[size++] = (byte) (v >>> (8 * i)); }

        void u32(int v) { grow(4); for (int i = 0; i < 4; i++) bytes[size++] = (byte) (v >>> (8 * i)); }

        void u64(long v) { grow(8); for (int i = 0; i < 8; i++) bytes[size++] = (byte) (v >>> (8 * i)); }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            grow(b.length);
            System.arraycopy(b, 0, bytes, size, b.length);
            size += b.length;
        }
    }
}
