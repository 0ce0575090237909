package dev.gpufleet.demomodel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a GGUF header back (metadata and tensor infos), independently of the writer. */
final class GgufTestReader {

    record TensorInfo(String name, long[] dims, int ggmlType, long offset) {}

    record Header(int magic, int version, long tensorCount, long metadataCount, Map<String, Object> metadata,
            Map<String, Integer> metadataTypes, List<TensorInfo> tensors, long headerEnd, long dataOffset,
            long fileSize) {}

    private final ByteBuffer b;

    private GgufTestReader(ByteBuffer b) {
        this.b = b;
    }

    /** Reads at most the first {@code limit} bytes (enough for the header). */
    static Header read(Path file) throws IOException {
        long size = Files.size(file);
        byte[] bytes;
        try (var in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) Math.min(size, 4 << 20));
        }
        GgufTestReader r = new GgufTestReader(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        int magic = r.b.getInt();
        int version = r.b.getInt();
        long nTensors = r.b.getLong();
        long nKv = r.b.getLong();
        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, Integer> types = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            String key = r.str();
            int type = r.b.getInt();
            types.put(key, type);
            md.put(key, r.value(type));
        }
        List<TensorInfo> tensors = new ArrayList<>();
        for (long i = 0; i < nTensors; i++) {
            String name = r.str();
            int nd = r.b.getInt();
            long[] dims = new long[nd];
            for (int d = 0; d < nd; d++) {
                dims[d] = r.b.getLong();
            }
            int type = r.b.getInt();
            tensors.add(new TensorInfo(name, dims, type, r.b.getLong()));
        }
        long headerEnd = r.b.position();
        long alignment = md.containsKey("general.alignment") ? ((Number) md.get("general.alignment")).longValue() : 32;
        long dataOffset = (headerEnd + alignment - 1) / alignment * alignment;
        return new Header(magic, version, nTensors, nKv, md, types, tensors, headerEnd, dataOffset, size);
    }

    private String str() {
        long len = b.getLong();
        byte[] s = new byte[(int) len];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private Object value(int type) {
        switch (type) {
            case 0: return b.get() & 0xff;
            case 1: return (int) b.get();
            case 2: return b.getShort() & 0xffff;
            case 3: return (int) b.getShort();
            case 4: return b.getInt() & 0xffffffffL;
            case 5: return b.getInt();
            case 6: return b.getFloat();
            case 7: return b.get() != 0;
            case 8: return str();
            case 9: {
                int elementType = b.getInt();
                long n = b.getLong();
                List<Object> values = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    values.add(value(elementType));
                }
                return values;
            }
            case 10: return b.getLong();
            case 11: return b.getLong();
            case 12: return b.getDouble();
            default: throw new IllegalStateException("bad value type " + type);
        }
    }
}
