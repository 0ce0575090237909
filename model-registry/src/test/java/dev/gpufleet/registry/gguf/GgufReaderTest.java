package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GgufReaderTest {

    /** One key of every value type, nested arrays included, and two tensors. */
    static byte[] everyValueType(int version) {
        HeaderBytes h = HeaderBytes.gguf(version, 2, 17);
        h.key("u8", GgufValueType.UINT8).u8(250);
        h.key("i8", GgufValueType.INT8).u8(0x80);
        h.key("u16", GgufValueType.UINT16).u16(65535);
        h.key("i16", GgufValueType.INT16).u16(0x8000);
        h.key("u32", GgufValueType.UINT32).u32(0xFFFFFFFFL);
        h.key("i32", GgufValueType.INT32).u32(-5);
        h.key("f32", GgufValueType.FLOAT32).f32(1.5f);
        h.key("bool", GgufValueType.BOOL).u8(1);
        h.key("str", GgufValueType.STRING).str("héllo");
        h.key("u64", GgufValueType.UINT64).u64(-1L);
        h.key("i64", GgufValueType.INT64).u64(Long.MIN_VALUE);
        h.key("f64", GgufValueType.FLOAT64).f64(-2.25);
        h.key("strings", GgufValueType.ARRAY).u32(GgufValueType.STRING.ordinal()).u64(3).str("a").str("").str("c");
        h.key("floats", GgufValueType.ARRAY).u32(GgufValueType.FLOAT32.ordinal()).u64(2).f32(0.5f).f32(-1f);
        // [[1, 2], [], [3]] as uint16
        h.key("nested", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.ordinal()).u64(3)
                .u32(GgufValueType.UINT16.ordinal()).u64(2).u16(1).u16(2)
                .u32(GgufValueType.UINT16.ordinal()).u64(0)
                .u32(GgufValueType.UINT16.ordinal()).u64(1).u16(3);
        // [["x"], [["deep"]]] : arrays of strings and of arrays of strings
        h.key("nested.strings", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.ordinal()).u64(2)
                .u32(GgufValueType.STRING.ordinal()).u64(1).str("x")
                .u32(GgufValueType.ARRAY.ordinal()).u64(1).u32(GgufValueType.STRING.ordinal()).u64(1).str("deep");
        h.key("general.alignment", GgufValueType.UINT32).u32(64);
        h.tensor("a", GgmlType.F32, 0, 4, 2);
        h.tensor("b", GgmlType.Q8_0, 64, 64);
        h.align(64);
        h.zeros(64 + 68);
        return h.bytes();
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void readsEveryValueTypeAndNestedArrays(int version) throws Exception {
        byte[] file = everyValueType(version);
        GgufFile g = GgufReader.read(new ByteArraySource(file));
        Map<String, Object> m = g.metadata();
        assertEquals(version, g.version());
        assertEquals(250L, m.get("u8"));
        assertEquals(-128L, m.get("i8"));
        assertEquals(65535L, m.get("u16"));
        assertEquals(-32768L, m.get("i16"));
        assertEquals(0xFFFFFFFFL, m.get("u32"));
        assertEquals(-5L, m.get("i32"));
        assertEquals(1.5f, m.get("f32"));
        assertEquals(true, m.get("bool"));
        assertEquals("héllo", m.get("str"));
        assertEquals("18446744073709551615", Long.toUnsignedString((Long) m.get("u64")));
        assertEquals(Long.MIN_VALUE, m.get("i64"));
        assertEquals(-2.25, m.get("f64"));
        assertEquals(new GgufArray(GgufValueType.STRING, 3, List.of("a", "", "c")), m.get("strings"));
        assertEquals(new GgufArray(GgufValueType.FLOAT32, 2, List.of(0.5f, -1f)), m.get("floats"));
        assertEquals(new GgufArray(GgufValueType.ARRAY, 3, List.of(
                new GgufArray(GgufValueType.UINT16, 2, List.of(1L, 2L)),
                new GgufArray(GgufValueType.UINT16, 0, List.of()),
                new GgufArray(GgufValueType.UINT16, 1, List.of(3L)))), m.get("nested"));
        assertEquals(new GgufArray(GgufValueType.ARRAY, 2, List.of(
                new GgufArray(GgufValueType.STRING, 1, List.of("x")),
                new GgufArray(GgufValueType.ARRAY, 1, List.of(
                        new GgufArray(GgufValueType.STRING, 1, List.of("deep")))))), m.get("nested.strings"));
        assertEquals(64, g.alignment());
        assertEquals(0, g.dataOffset() % 64);
        assertEquals(List.of("a", "b"), g.tensors().stream().map(GgufTensorInfo::name).toList());
        GgufTensorInfo a = g.tensors().get(0);
        assertEquals(List.of(4L, 2L), a.dims());
        assertEquals(8, a.elements());
        assertEquals(32, a.bytes());
        GgufTensorInfo b = g.tensors().get(1);
        assertEquals(GgmlType.Q8_0, b.type());
        assertEquals(64, b.offset());
        assertEquals(68, b.bytes());
        assertEquals(file.length, g.fileBytes());
    }

    @Test
    void keepsOnlyTheFirstArrayElementsButTheFullCount() throws Exception {
        byte[] file = everyValueType(3);
        GgufFile g = GgufReader.read(new ByteArraySource(file), 16, 1);
        GgufArray strings = g.array("strings");
        assertEquals(3, strings.count());
        assertEquals(List.of("a"), strings.firstValues());
        assertFalse(strings.complete());
        GgufArray nested = g.array("nested");
        assertEquals(List.of(new GgufArray(GgufValueType.UINT16, 2, List.of(1L))), nested.firstValues());
        // the rest of the header still parses in the right place
        assertEquals(2, g.tensors().size());
        assertEquals(64, g.alignment());
    }

    @Test
    void readsInChunksSmallerThanTheHeader() throws Exception {
        byte[] file = everyValueType(3);
        GgufFile whole = GgufReader.read(new ByteArraySource(file));
        ByteArraySource source = new ByteArraySource(file);
        GgufFile chunked = GgufReader.read(source, 16, GgufReader.DEFAULT_KEPT_ARRAY_ELEMENTS);
        assertEquals(whole, chunked);
        assertTrue(source.reads > 10, "reads: " + source.reads);
    }

    @Test
    void alignmentDefaultsTo32() throws Exception {
        HeaderBytes h = HeaderBytes.gguf(3, 1, 0).tensor("t", GgmlType.F16, 0, 3);
        int headerEnd = h.size();
        byte[] file = h.align(32).zeros(6).bytes();
        GgufFile g = GgufReader.read(new ByteArraySource(file));
        assertEquals(32, g.alignment());
        assertEquals((headerEnd + 31) / 32 * 32, g.dataOffset());
    }

    static Stream<Arguments> badHeaders() {
        return Stream.of(
                Arguments.of("empty file", new byte[0], "expected the magic"),
                Arguments.of("wrong magic", withByte(HeaderBytes.gguf(3, 0, 0).bytes(), 0, 'X'), "found 58 47 55 46"),
                Arguments.of("version 1", HeaderBytes.gguf(1, 0, 0).bytes(), "unsupported GGUF version 1"),
                Arguments.of("version 4", HeaderBytes.gguf(4, 0, 0).bytes(), "unsupported GGUF version 4"),
                Arguments.of("big-endian", HeaderBytes.gguf(0x03000000, 0, 0).bytes(), "big-endian"),
                Arguments.of("2^60 tensors", HeaderBytes.gguf(3, 1L << 60, 0).bytes(),
                        "the tensor count is 1152921504606846976"),
                Arguments.of("negative kv count", HeaderBytes.gguf(3, 0, -1).bytes(), "18446744073709551615"),
                Arguments.of("4 GB key", HeaderBytes.gguf(3, 0, 1).u64(4L << 30).zeros(20).bytes(),
                        "the length of a metadata key is 4294967296"),
                Arguments.of("unknown value type", HeaderBytes.gguf(3, 0, 1).str("k").u32(13).zeros(8).bytes(),
                        "unknown value type 13"),
                Arguments.of("bool 2", HeaderBytes.gguf(3, 0, 1).key("k", GgufValueType.BOOL).u8(2).bytes(),
                        "must be 0 or 1"),
                Arguments.of("array of 2^40 uint32", HeaderBytes.gguf(3, 0, 1).key("k", GgufValueType.ARRAY)
                        .u32(GgufValueType.UINT32.ordinal()).u64(1L << 40).zeros(64).bytes(),
                        "the length of array 'k' is 1099511627776"),
                Arguments.of("duplicate key", HeaderBytes.gguf(3, 0, 2).key("k", GgufValueType.UINT8).u8(1)
                        .key("k", GgufValueType.UINT8).u8(2).bytes(), "duplicate metadata key 'k'"),
                Arguments.of("alignment 3", HeaderBytes.gguf(3, 0, 1).key("general.alignment", GgufValueType.UINT32)
                        .u32(3).bytes(), "general.alignment must be a power of two"),
                Arguments.of("alignment as string", HeaderBytes.gguf(3, 0, 1)
                        .key("general.alignment", GgufValueType.STRING).str("32").bytes(),
                        "general.alignment must be an integer"),
                Arguments.of("5 dims", HeaderBytes.gguf(3, 1, 0).tensor("t", GgmlType.F32, 0, 1, 1, 1, 1, 1)
                        .zeros(64).bytes(), "tensor 't' has 5 dimensions"),
                Arguments.of("unknown ggml type", HeaderBytes.gguf(3, 1, 0).str("t").u32(1).u64(4).u32(4).u64(0)
                        .zeros(64).bytes(), "unknown ggml type 4"),
                Arguments.of("partial Q8_0 block", HeaderBytes.gguf(3, 1, 0).tensor("t", GgmlType.Q8_0, 0, 16)
                        .zeros(64).bytes(), "needs ne[0] divisible by 32"),
                Arguments.of("unaligned offset", HeaderBytes.gguf(3, 1, 0).tensor("t", GgmlType.F32, 4, 1)
                        .zeros(64).bytes(), "not a non-negative multiple of the alignment 32"),
                Arguments.of("element overflow", HeaderBytes.gguf(3, 1, 0)
                        .tensor("t", GgmlType.F32, 0, 1L << 40, 1L << 40).zeros(64).bytes(), "more elements"),
                Arguments.of("duplicate tensor", HeaderBytes.gguf(3, 2, 0).tensor("t", GgmlType.F32, 0, 1)
                        .tensor("t", GgmlType.F32, 32, 1).zeros(128).bytes(), "duplicate tensor 't'"),
                Arguments.of("tensor data past the end", HeaderBytes.gguf(3, 1, 0).tensor("t", GgmlType.F32, 0, 1000)
                        .zeros(64).bytes(), "beyond the end of the file"),
                Arguments.of("arrays nested 9 deep", nestedArrays(9), "nested deeper than 8"));
    }

    private static byte[] withByte(byte[] b, int i, int v) {
        b[i] = (byte) v;
        return b;
    }

    private static byte[] nestedArrays(int depth) {
        HeaderBytes h = HeaderBytes.gguf(3, 0, 1).key("deep", GgufValueType.ARRAY);
        for (int i = 1; i < depth; i++) {
            h.u32(GgufValueType.ARRAY.ordinal()).u64(1);
        }
        return h.u32(GgufValueType.UINT8.ordinal()).u64(1).u8(0).bytes();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHeaders")
    void badHeadersFailWithAMessage(String name, byte[] file, String expected) {
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufReader.read(new ByteArraySource(file)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("memory: "), e.getMessage());
    }

    @Test
    void arraysNested8DeepAreFine() throws Exception {
        Function<Object, GgufArray> asArray = GgufArray.class::cast;
        GgufArray a = GgufReader.read(new ByteArraySource(nestedArrays(8))).array("deep");
        for (int i = 1; i < 8; i++) {
            a = asArray.apply(a.firstValues().get(0));
        }
        assertEquals(List.of(0L), a.firstValues());
    }

    @Test
    void truncationNamesTheOffsetAndWhatWasExpected() {
        byte[] file = HeaderBytes.gguf(3, 0, 2).key("first", GgufValueType.UINT8).u8(1)
                .key("second", GgufValueType.UINT32).u32(7).bytes();
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufReader.read(new ByteArraySource(file, 62)));
        assertEquals("memory: at offset 60: expected a uint32 for 'second' (4 bytes), but the file ends at 62",
                e.getMessage());
        assertInstanceOf(GgufFormatException.class, e);
    }
}
