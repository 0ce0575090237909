package dev.gpufleet.registry.gguf;

import dev.gpufleet.registry.analysis.ByteSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a GGUF header (v2 and v3, little-endian) from a {@link ByteSource}: metadata, tensor infos, alignment and
 * the data offset, never the tensor data. Bytes are fetched in chunks, more only as the header needs them.
 *
 * <p>The input may be hostile: every count and length is checked against what the rest of the file can hold before
 * anything is allocated, and every problem with the bytes is a {@link GgufFormatException} naming the offset and
 * what was expected. An {@link IOException} means the source itself failed (a disk or HTTP error).
 */
public final class GgufReader {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int DEFAULT_CHUNK_BYTES = 64 * 1024;
    public static final int DEFAULT_KEPT_ARRAY_ELEMENTS = 512;
    public static final int DEFAULT_ALIGNMENT = 32;
    /** Far above any real key or chat template; a longer string is an attack or corruption. */
    static final int MAX_STRING_BYTES = 16 * 1024 * 1024;
    static final int MAX_ARRAY_DEPTH = 8;
    static final int MAX_DIMS = 4;
    private static final int MIN_KV_BYTES = 8 + 4 + 1;
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private final ByteSource source;
    private final int chunkBytes;
    private final int keptArrayElements;
    private long size;
    private ByteBuffer buf = ByteBuffer.allocate(0);
    private long bufStart;
    private long pos;

    private GgufReader(ByteSource source, int chunkBytes, int keptArrayElements) {
        this.source = source;
        this.chunkBytes = chunkBytes;
        this.keptArrayElements = keptArrayElements;
    }

    public static GgufFile read(ByteSource source) throws IOException, GgufFormatException {
        return read(source, DEFAULT_CHUNK_BYTES, DEFAULT_KEPT_ARRAY_ELEMENTS);
    }

    /** @param keptArrayElements how many elements of each metadata array to keep (the count is always kept) */
    public static GgufFile read(ByteSource source, int chunkBytes, int keptArrayElements)
            throws IOException, GgufFormatException {
        if (chunkBytes < 16 || keptArrayElements < 0) {
            throw new IllegalArgumentException("chunkBytes " + chunkBytes + ", keptArrayElements " + keptArrayElements);
        }
        return new GgufReader(source, chunkBytes, keptArrayElements).parse();
    }

    private GgufFile parse() throws IOException, GgufFormatException {
        size = source.size();
        need(4, "the magic \"GGUF\"", null);
        int magic = buf.getInt(index());
        if (magic != MAGIC) {
            throw error(String.format("expected the magic \"GGUF\" (47 47 55 46), found %02x %02x %02x %02x",
                    magic & 0xff, (magic >>> 8) & 0xff, (magic >>> 16) & 0xff, magic >>> 24));
        }
        pos += 4;
        long version = u32("the version", null);
        if (version == 0x02000000L || version == 0x03000000L) {
            throw error("big-endian GGUF files are not supported (version reads as " + Long.reverseBytes(version << 32)
                    + " byte-swapped)");
        }
        if (version != 2 && version != 3) {
            throw error("unsupported GGUF version " + version + " (supported: 2 and 3)");
        }
        long tensorCount = count("the tensor count", null, MIN_TENSOR_INFO_BYTES);
        long kvCount = count("the metadata key/value count", null, MIN_KV_BYTES);

        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long keyAt = pos;
            String key = string("a metadata key", null);
            if (metadata.containsKey(key)) {
                pos = keyAt;
                throw error("duplicate metadata key " + quote(key));
            }
            GgufValueType type = valueType("the value type of", key);
            metadata.put(key, value(type, 0, key));
        }
        int alignment = alignment(metadata.get("general.alignment"));

        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 1024));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            long infoAt = pos;
            String name = string("the name of a tensor", null);
            if (!names.add(name)) {
                pos = infoAt;
                throw error("duplicate tensor " + quote(name));
            }
            tensors.add(tensorInfo(name, alignment));
        }
        long dataOffset = alignUp(pos, alignment);
        for (GgufTensorInfo t : tensors) {
            long end = dataOffset + t.offset() + t.bytes();
            if (t.offset() > size || end < 0 || end > size) {
                throw new GgufFormatException(source.describe() + ": tensor " + quote(t.name()) + " (" + t.bytes()
                        + " bytes at data offset " + t.offset() + ") ends at " + end + ", beyond the end of the file ("
                        + size + " bytes): truncated or corrupt");
            }
        }
        return new GgufFile(source.describe(), (int) version, metadata, tensors, alignment, dataOffset, size);
    }

    private GgufTensorInfo tensorInfo(String name, int alignment) throws IOException, GgufFormatException {
        long nDims = u32("the dimension count of tensor", name);
        if (nDims < 1 || nDims > MAX_DIMS) {
            pos -= 4;
            throw error("tensor " + quote(name) + " has " + nDims + " dimensions (allowed: 1 to " + MAX_DIMS + ")");
        }
        List<Long> dims = new ArrayList<>((int) nDims);
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            long dim = i64("a dimension of tensor", name);
            if (dim < 0) {
                pos -= 8;
                throw error("tensor " + quote(name) + " dimension " + d + " is " + Long.toUnsignedString(dim)
                        + ", too large");
            }
            dims.add(dim);
            try {
                elements = Math.multiplyExact(elements, dim);
            } catch (ArithmeticException e) {
                pos -= 8;
                throw error("tensor " + quote(name) + " has more elements than fit in 63 bits");
            }
        }
        long typeId = u32("the type of tensor", name);
        GgmlType type = typeId <= Integer.MAX_VALUE ? GgmlType.byId((int) typeId) : null;
        if (type == null) {
            pos -= 4;
            throw error("tensor " + quote(name) + " has unknown ggml type " + typeId);
        }
        if (dims.get(0) % type.blockSize != 0) {
            pos -= 4;
            throw error("tensor " + quote(name) + " of type " + type + " needs ne[0] divisible by " + type.blockSize
                    + ", got " + dims.get(0));
        }
        long offset = i64("the data offset of tensor", name);
        if (offset < 0 || offset % alignment != 0) {
            pos -= 8;
            throw error("tensor " + quote(name) + " data offset " + Long.toUnsignedString(offset)
                    + " is not a non-negative multiple of the alignment " + alignment);
        }
        long bytes;
        try {
            bytes = type.bytesFor(elements);
        } catch (ArithmeticException e) {
            throw error("tensor " + quote(name) + " is larger than 2^63 bytes");
        }
        return new GgufTensorInfo(name, dims, type, offset, elements, bytes);
    }

    private int alignment(Object value) throws GgufFormatException {
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long)) {
            throw new GgufFormatException(source.describe() + ": general.alignment must be an integer, got " + value);
        }
        long a = (Long) value;
        if (a <= 0 || a > (1 << 30) || (a & (a - 1)) != 0) {
            throw new GgufFormatException(source.describe()
                    + ": general.alignment must be a power of two up to 2^30, got " + a);
        }
        return (int) a;
    }

    private Object value(GgufValueType type, int depth, String what) throws IOException, GgufFormatException {
        switch (type) {
            case UINT8:
                need(1, "a uint8 for", what);
                return (long) (buf.get(advance(1)) & 0xff);
            case INT8:
                need(1, "an int8 for", what);
                return (long) buf.get(advance(1));
            case UINT16:
                need(2, "a uint16 for", what);
                return (long) (buf.getShort(advance(2)) & 0xffff);
            case INT16:
                need(2, "an int16 for", what);
                return (long) buf.getShort(advance(2));
            case UINT32:
                return u32("a uint32 for", what);
            case INT32:
                need(4, "an int32 for", what);
                return (long) buf.getInt(advance(4));
            case FLOAT32:
                need(4, "a float32 for", what);
                return buf.getFloat(advance(4));
            case BOOL:
                need(1, "a bool for", what);
                int b = buf.get(index());
                if (b != 0 && b != 1) {
                    throw error("a bool for " + quote(what) + " must be 0 or 1, got " + (b & 0xff));
                }
                pos += 1;
                return b == 1;
            case STRING:
                return string("a string for", what);
            case UINT64:
            case INT64:
                return i64("a 64-bit integer for", what);
            case FLOAT64:
                need(8, "a float64 for", what);
                return buf.getDouble(advance(8));
            case ARRAY:
                return array(depth, what);
            default:
                throw new IllegalStateException(type.name());
        }
    }

    private GgufArray array(int depth, String what) throws IOException, GgufFormatException {
        if (depth >= MAX_ARRAY_DEPTH) {
            throw error("arrays nested deeper than " + MAX_ARRAY_DEPTH + " in " + quote(what));
        }
        GgufValueType elementType = valueType("the element type of array", what);
        long count = count("the length of array", what, elementType.minimumEncodedSize());
        int kept = (int) Math.min(count, keptArrayElements);
        List<Object> values = new ArrayList<>(kept);
        for (int i = 0; i < kept; i++) {
            values.add(value(elementType, depth + 1, what));
        }
        long rest = count - kept;
        if (elementType.size > 0) {
            skip(rest * elementType.size, "the rest of array", what);
        } else {
            for (long i = 0; i < rest; i++) {
                if (elementType == GgufValueType.STRING) {
                    long len = stringLength("a string in array", what);
                    skip(len, "a string in array", what);
                } else {
                    array(depth + 1, what);
                }
            }
        }
        return new GgufArray(elementType, count, values);
    }

    private GgufValueType valueType(String what, String key) throws IOException, GgufFormatException {
        long id = u32(what, key);
        GgufValueType type = id <= Integer.MAX_VALUE ? GgufValueType.of((int) id) : null;
        if (type == null) {
            pos -= 4;
            throw error("unknown value type " + id + " for " + describe(what, key) + " (allowed: 0 to 12)");
        }
        return type;
    }

    /** A uint64 count of items each at least {@code minItemBytes} long: checked against the bytes left. */
    private long count(String what, String key, int minItemBytes) throws IOException, GgufFormatException {
        long n = i64(what, key);
        long left = size - pos;
        if (n < 0 || n > left / minItemBytes) {
            pos -= 8;
            throw error(describe(what, key) + " is " + Long.toUnsignedString(n) + ", more than the " + left
                    + " bytes left in the file can hold");
        }
        return n;
    }

    private long stringLength(String what, String key) throws IOException, GgufFormatException {
        long len = i64(what, key);
        if (len < 0 || len > size - pos) {
            pos -= 8;
            throw error("the length of " + describe(what, key) + " is " + Long.toUnsignedString(len)
                    + ", more than the " + (size - pos - 8) + " bytes left in the file");
        }
        return len;
    }

    private String string(String what, String key) throws IOException, GgufFormatException {
        long len = stringLength(what, key);
        if (len > MAX_STRING_BYTES) {
            pos -= 8;
            throw error("the length of " + describe(what, key) + " is " + len + " bytes, over the limit of "
                    + MAX_STRING_BYTES);
        }
        need((int) len, what, key);
        String s = new String(buf.array(), index(), (int) len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private long u32(String what, String key) throws IOException, GgufFormatException {
        need(4, what, key);
        return buf.getInt(advance(4)) & 0xffffffffL;
    }

    private long i64(String what, String key) throws IOException, GgufFormatException {
        need(8, what, key);
        return buf.getLong(advance(8));
    }

    private int index() {
        return (int) (pos - bufStart);
    }

    /** The buffer index of the current position, then moves past {@code n} bytes. */
    private int advance(int n) {
        int i = index();
        pos += n;
        return i;
    }

    private void skip(long n, String what, String key) throws GgufFormatException {
        if (n > size - pos) {
            throw error("expected " + describe(what, key) + " (" + n + " bytes), but the file ends at " + size);
        }
        pos += n;
    }

    /** Makes bytes [pos, pos + n) available in the buffer, reading a chunk (or more when n is larger). */
    private void need(int n, String what, String key) throws IOException, GgufFormatException {
        if (n > size - pos) {
            throw error("expected " + describe(what, key) + " (" + n + " bytes), but the file ends at " + size);
        }
        if (pos >= bufStart && pos + n <= bufStart + buf.limit()) {
            return;
        }
        int length = (int) Math.min(Math.max(n, chunkBytes), size - pos);
        byte[] bytes = source.read(pos, length);
        if (bytes.length != length) {
            throw new IOException(source.describe() + ": asked for " + length + " bytes at " + pos + ", got "
                    + bytes.length);
        }
        buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        bufStart = pos;
    }

    /** Messages are built only on error: the header has hundreds of thousands of values. */
    private static String describe(String what, String key) {
        return key == null ? what : what + " " + quote(key);
    }

    /** A name for a message: a corrupt header can make a "name" as long as the file. */
    static String quote(String name) {
        return "'" + (name.length() <= 80 ? name : name.substring(0, 80) + "…(" + name.length() + " chars)") + "'";
    }

    private GgufFormatException error(String message) {
        return new GgufFormatException(source.describe() + ": at offset " + pos + ": " + message);
    }

    private static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
