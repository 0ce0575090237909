package dev.gpufleet.llamacpp.gguf;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads a GGUF header (metadata and tensor infos, never tensor data) and checks that the file is complete, so that
 * a missing, foreign, corrupt or truncated file is refused with a clear reason before llama.cpp sees it.
 */
public final class GgufInspector {

    static final int MAGIC = 0x46554747; // "GGUF"
    private static final long MAX_COUNT = 1L << 24;
    private static final long MAX_STRING = 1L << 26;
    private static final int MAX_DIMS = 4;

    /** Block size in elements and bytes per block, for the ggml types llama.cpp b4916 knows. */
    private static final Map<Integer, long[]> TYPE_SIZES = new HashMap<>();

    static {
        long[][] table = {
            {0, 1, 4}, {1, 1, 2}, {2, 32, 18}, {3, 32, 20}, {6, 32, 22}, {7, 32, 24}, {8, 32, 34}, {9, 32, 36},
            {10, 256, 84}, {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210}, {15, 256, 292},
            {16, 256, 66}, {17, 256, 74}, {18, 256, 98}, {19, 256, 50}, {20, 32, 18}, {21, 256, 110},
            {22, 256, 82}, {23, 256, 136}, {24, 1, 1}, {25, 1, 2}, {26, 1, 4}, {27, 1, 8}, {28, 1, 8},
            {29, 256, 56}, {30, 1, 2}, {34, 256, 54}, {35, 256, 66},
        };
        for (long[] row : table) {
            TYPE_SIZES.put((int) row[0], new long[] {row[1], row[2]});
        }
    }

    private final FileChannel channel;
    private final long fileSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private long bufferStart;

    private GgufInspector(FileChannel channel, long fileSize) {
        this.channel = channel;
        this.fileSize = fileSize;
        buffer.limit(0);
    }

    public static GgufSummary inspect(Path file) throws ModelFileException {
        if (Files.isDirectory(file)) {
            throw new ModelFileException("it is a directory");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return new GgufInspector(channel, channel.size()).read();
        } catch (NoSuchFileException e) {
            throw new ModelFileException("no such file");
        } catch (AccessDeniedException e) {
            throw new ModelFileException("permission denied");
        } catch (EOFException e) {
            throw new ModelFileException("truncated: the file ends inside the GGUF header");
        } catch (IOException e) {
            throw new ModelFileException("cannot read it: " + e.getMessage());
        }
    }

    private GgufSummary read() throws IOException, ModelFileException {
        if (fileSize < 24) {
            throw new ModelFileException(fileSize == 0 ? "the file is empty"
                    : "not a GGUF file (only " + fileSize + " bytes)");
        }
        int magic = i32();
        if (magic != MAGIC) {
            throw new ModelFileException(String.format("not a GGUF file (it starts with 0x%08x, expected 'GGUF')",
                    Integer.reverseBytes(magic)));
        }
        int version = i32();
        if (version < 2 || version > 3) {
            throw new ModelFileException("unsupported GGUF version " + version + " (llama.cpp reads 2 and 3)");
        }
        long tensorCount = i64();
        long kvCount = i64();
        if (tensorCount < 0 || tensorCount > MAX_COUNT || kvCount < 0 || kvCount > MAX_COUNT) {
            throw new ModelFileException("corrupt GGUF header (" + tensorCount + " tensors, " + kvCount + " keys)");
        }
        Map<String, Object> metadata = new HashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = string();
            metadata.put(key, value(i32(), key));
        }
        long dataEnd = 0;
        long parameters = 0;
        long[] dims = new long[MAX_DIMS];
        for (long i = 0; i < tensorCount; i++) {
            String name = string();
            int nDims = i32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw new ModelFileException("corrupt GGUF header (tensor '" + name + "' has " + nDims + " dimensions)");
            }
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = i64();
                if (dims[d] < 0 || (dims[d] > 0 && elements > Long.MAX_VALUE / dims[d])) {
                    throw new ModelFileException("corrupt GGUF header (tensor '" + name + "' has bad dimensions)");
                }
                elements *= dims[d];
            }
            int type = i32();
            long offset = i64();
            if (offset < 0) {
                throw new ModelFileException("corrupt GGUF header (tensor '" + name + "' has a negative offset)");
            }
            parameters += elements;
            long[] size = TYPE_SIZES.get(type);
            long end = offset + (size == null ? 0 : (elements + size[0] - 1) / size[0] * size[1]);
            dataEnd = Math.max(dataEnd, end);
        }
        long alignment = metadata.get("general.alignment") instanceof Long
                ? (Long) metadata.get("general.alignment") : 32;
        if (alignment <= 0) {
            throw new ModelFileException("corrupt GGUF header (general.alignment " + alignment + ")");
        }
        long headerEnd = position();
        long dataStart = (headerEnd + alignment - 1) / alignment * alignment;
        if (dataStart + dataEnd > fileSize) {
            throw new ModelFileException("truncated: the tensors need " + (dataStart + dataEnd)
                    + " bytes but the file has " + fileSize);
        }
        String architecture = metadata.get("general.architecture") instanceof String
                ? (String) metadata.get("general.architecture") : "";
        if (architecture.isEmpty()) {
            throw new ModelFileException("not a model: the GGUF has no general.architecture");
        }
        Object tokens = metadata.get("tokenizer.ggml.tokens");
        long vocabulary = tokens instanceof ArrayLength ? ((ArrayLength) tokens).length : 0;
        Object addBos = metadata.get("tokenizer.ggml.add_bos_token");
        boolean addsBos = addBos instanceof Boolean ? (Boolean) addBos
                : "llama".equals(metadata.get("tokenizer.ggml.model"));
        String name = metadata.get("general.name") instanceof String ? (String) metadata.get("general.name") : "";
        return new GgufSummary(version, architecture, name, vocabulary,
                number(metadata.get(architecture + ".context_length")),
                number(metadata.get(architecture + ".embedding_length")),
                addsBos, tensorCount, parameters, fileSize);
    }

    private static OptionalLong number(Object v) {
        return v instanceof Long ? OptionalLong.of((Long) v) : OptionalLong.empty();
    }

    /** Arrays are skipped; only their length is kept. */
    private record ArrayLength(long length) {}

    private Object value(int type, String key) throws IOException, ModelFileException {
        switch (type) {
            case 0: case 1: case 7: {
                int v = u8();
                return type == 7 ? (Object) (v != 0) : (Object) (long) v;
            }
            case 2: case 3: skip(2); return null;
            case 4: return i32() & 0xffffffffL;
            case 5: return (long) i32();
            case 6: skip(4); return null;
            case 8: return string();
            case 10: case 11: return i64();
            case 12: skip(8); return null;
            case 9: {
                int elementType = i32();
                long n = i64();
                if (n < 0 || n > MAX_COUNT * 64) {
                    throw new ModelFileException("corrupt GGUF header (array '" + key + "' has " + n + " elements)");
                }
                int size = scalarSize(elementType);
                if (size > 0) {
                    skip(n * size);
                } else if (elementType == 8) {
                    for (long i = 0; i < n; i++) {
                        long len = i64();
                        checkStringLength(len);
                        skip(len);
                    }
                } else {
                    throw new ModelFileException("corrupt GGUF header (array '" + key + "' of type " + elementType + ")");
                }
                return new ArrayLength(n);
            }
            default:
                throw new ModelFileException("corrupt GGUF header (key '" + key + "' has value type " + type + ")");
        }
    }

    private static int scalarSize(int type) {
        switch (type) {
            case 0: case 1: case 7: return 1;
            case 2: case 3: return 2;
            case 4: case 5: case 6: return 4;
            case 10: case 11: case 12: return 8;
            default: return -1;
        }
    }

    private void checkStringLength(long len) throws ModelFileException {
        if (len < 0 || len > MAX_STRING) {
            throw new ModelFileException("corrupt GGUF header (a string of " + len + " bytes)");
        }
    }

    private long position() {
        return bufferStart + buffer.position();
    }

    private void need(int n) throws IOException {
        if (buffer.remaining() >= n) {
            return;
        }
        bufferStart += buffer.position();
        buffer.compact();
        while (buffer.position() < n) {
            if (channel.read(buffer) < 0) {
                throw new EOFException();
            }
        }
        buffer.flip();
    }

    private void skip(long n) throws IOException {
        if (n <= buffer.remaining()) {
            buffer.position(buffer.position() + (int) n);
            return;
        }
        long target = position() + n;
        if (target > fileSize) {
            throw new EOFException();
        }
        channel.position(target);
        bufferStart = target;
        buffer.clear().limit(0);
    }

    private int u8() throws IOException {
        need(1);
        return buffer.get() & 0xff;
    }

    private int i32() throws IOException {
        need(4);
        return buffer.getInt();
    }

    private long i64() throws IOException {
        need(8);
        return buffer.getLong();
    }

    private String string() throws IOException, ModelFileException {
        long len = i64();
        checkStringLength(len);
        if (position() + len > fileSize) {
            throw new EOFException();
        }
        byte[] bytes = new byte[(int) len];
        int off = 0;
        while (off < len) {
            need(1);
            int k = Math.min(buffer.remaining(), (int) len - off);
            buffer.get(bytes, off, k);
            off += k;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
