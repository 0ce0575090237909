package dev.gpufleet.demomodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GgufWriterTest {

    @TempDir
    Path dir;

    @Test
    void everyMetadataTypeReadsBackWithItsTypeId() throws IOException {
        Path file = dir.resolve("kv.gguf");
        new GgufWriter()
                .uint8("u8", 200).int8("i8", -5).uint16("u16", 60000).int16("i16", -300)
                .uint32("u32", 4_000_000_000L).int32("i32", -7).uint64("u64", 1L << 40).int64("i64", -(1L << 40))
                .float32("f32", 1.5f).float64("f64", 2.25).bool("bool", true).string("str", "héllo")
                .stringArray("strs", List.of("a", "▁b")).float32Array("f32s", new float[] {1f, -2f})
                .int32Array("i32s", new int[] {3, -4})
                .alignment(64)
                .write(file);

        GgufTestReader.Header h = GgufTestReader.read(file);
        Map<String, Object> md = h.metadata();
        assertEquals(200, md.get("u8"));
        assertEquals(-5, md.get("i8"));
        assertEquals(60000, md.get("u16"));
        assertEquals(-300, md.get("i16"));
        assertEquals(4_000_000_000L, md.get("u32"));
        assertEquals(-7, md.get("i32"));
        assertEquals(1L << 40, md.get("u64"));
        assertEquals(-(1L << 40), md.get("i64"));
        assertEquals(1.5f, md.get("f32"));
        assertEquals(2.25, md.get("f64"));
        assertEquals(true, md.get("bool"));
        assertEquals("héllo", md.get("str"));
        assertEquals(List.of("a", "▁b"), md.get("strs"));
        assertEquals(List.of(1f, -2f), md.get("f32s"));
        assertEquals(List.of(3, -4), md.get("i32s"));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 10, 11, 6, 12, 7, 8, 9, 9, 9, 4),
                List.copyOf(h.metadataTypes().values()));
        assertEquals(64L, md.get("general.alignment"));
        assertEquals(0, h.fileSize() % 64, "a file without tensors is padded to the alignment");
    }

    @Test
    void tensorDataIsAlignedAndEncodedPerType() throws IOException {
        Path file = dir.resolve("t.gguf");
        float[] values = new float[32];
        for (int i = 0; i < 32; i++) {
            values[i] = (i - 16) / 4f;
        }
        long size = new GgufWriter()
                .alignment(32)
                .tensor("a", TensorType.F32, sink -> sink.put(0.5f), 1)
                .tensor("b", TensorType.F16, sink -> { sink.put(1f); sink.put(-2f); }, 2)
                .tensor("c", TensorType.Q8_0, sink -> { for (float v : values) sink.put(v); }, 32)
                .write(file);

        GgufTestReader.Header h = GgufTestReader.read(file);
        assertEquals(GgufWriter.MAGIC, h.magic());
        assertEquals(3, h.version());
        assertEquals(List.of(0L, 32L, 64L), h.tensors().stream().map(GgufTestReader.TensorInfo::offset).toList());
        assertEquals(List.of(0, 1, 8), h.tensors().stream().map(GgufTestReader.TensorInfo::ggmlType).toList());
        assertEquals(h.dataOffset() + 64 + 34 + 30, size, "34 bytes of Q8_0 padded to 64");
        assertEquals(size, Files.size(file));

        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int base = (int) h.dataOffset();
        assertEquals(0.5f, data.getFloat(base));
        assertEquals((short) 0x3c00, data.getShort(base + 32));
        assertEquals((short) 0xc000, data.getShort(base + 34));
        // Q8_0: scale = max|v| / 127 = 4/127 as fp16, then v / scale rounded half away from zero
        assertEquals(GgufWriter.floatToHalf(4f / 127f), data.getShort(base + 64));
        byte[] q = new byte[32];
        data.get(base + 66, q);
        byte[] expected = new byte[32];
        for (int i = 0; i < 32; i++) {
            expected[i] = (byte) Math.round(Math.abs(values[i]) * 127f / 4f);
            if (values[i] < 0) {
                expected[i] = (byte) -expected[i];
            }
        }
        assertArrayEquals(expected, q);
    }

    @Test
    void plannedSizeIsTheWrittenSize() throws IOException {
        GgufWriter w = new GgufWriter().string("k", "v").tensor("x", TensorType.F16, sink -> {
            for (int i = 0; i < 96; i++) sink.put(i);
        }, 32, 3);
        assertEquals(w.plannedSize(), w.write(dir.resolve("p.gguf")));
    }

    @Test
    void rejectsWhatLlamaCppWouldMisread() {
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().string("k", "a").string("k", "b"));
        assertThrows(IllegalArgumentException.class,
                () -> new GgufWriter().tensor("q", TensorType.Q8_0, sink -> { }, 16, 2));
        assertThrows(IllegalArgumentException.class, () -> new GgufWriter().alignment(24));
        GgufWriter shortData = new GgufWriter().tensor("s", TensorType.F32, sink -> sink.put(1f), 2);
        assertThrows(IllegalStateException.class, () -> shortData.write(dir.resolve("short.gguf")));
    }

    @ParameterizedTest
    @CsvSource({
        "0.0, 0x0000",
        "-0.0, 0x8000",
        "1.0, 0x3c00",
        "-2.0, 0xc000",
        "0.5, 0x3800",
        "65504.0, 0x7bff",
        "65520.0, 0x7c00",
        "1e10, 0x7c00",
        "6.1035156e-5, 0x0400",
        "5.9604645e-8, 0x0001",
        "2.9802322e-8, 0x0000",
        "1.00048828125, 0x3c00",
        "1.00146484375, 0x3c02",
        "0.333333343, 0x3555",
        "Infinity, 0x7c00",
        "-Infinity, 0xfc00",
    })
    void floatToHalfRoundsToNearestEven(float value, String half) {
        assertEquals((short) Integer.parseInt(half.substring(2), 16), GgufWriter.floatToHalf(value));
    }
}
