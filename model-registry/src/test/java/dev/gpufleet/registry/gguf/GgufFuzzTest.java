package dev.gpufleet.registry.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.registry.analysis.ByteSource;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutations of real headers (demo-model tiny files): whatever the bytes, reading and analysing either succeed or
 * throw {@link GgufFormatException}, and never allocate much more than the file itself.
 */
class GgufFuzzTest {
    private static byte[] file;
    private static int headerEnd;

    @BeforeAll
    static void writeTinyModel(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("tiny.gguf");
        DemoModel.write(Preset.TINY, TensorType.Q8_0, 1, p);
        file = Files.readAllBytes(p);
        headerEnd = (int) GgufReader.read(new ByteArraySource(file)).dataOffset();
        assertTrue(headerEnd > 1000 && headerEnd < file.length, "header end " + headerEnd);
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Parses; returns normally on a parse or a GgufFormatException, fails the test on anything else. */
    private static void parseOrFormatError(ByteSource source, String mutation) throws Exception {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
            // small chunks: the same code paths, less copying per mutation
            GgufFile parsed = GgufReader.read(source, 4096, GgufReader.DEFAULT_KEPT_ARRAY_ELEMENTS);
            GgufAnalyzer.analyze(List.of(parsed));
        } catch (GgufFormatException expected) {
            assertTrue(expected.getMessage().startsWith("memory: "), expected.getMessage());
        } catch (Throwable t) {
            fail(mutation + ": " + t, t);
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        // a mutated length may make one string span the rest of the file (read, then decoded): a small multiple of
        // the file size, never what a header claims
        assertTrue(allocated < 8L * source.size() + (1 << 20),
                mutation + " allocated " + allocated);
    }

    @Test
    void theOriginalParses() throws Exception {
        assertEquals(21, GgufReader.read(new ByteArraySource(file)).tensors().size());
    }

    @Test
    void everyTruncationIsAFormatError() {
        for (int length = 0; length < file.length; length += length < headerEnd + 64 ? 1 : 997) {
            int n = length;
            GgufFormatException e = assertThrows(GgufFormatException.class,
                    () -> GgufReader.read(new ByteArraySource(file, n)), "truncated at " + n);
            assertTrue(e.getMessage().contains("offset") || e.getMessage().contains("end of the file"),
                    e.getMessage());
        }
    }

    @Test
    void flippedAndRandomBytes() throws Exception {
        Random random = new Random(5);
        byte[] copy = file.clone();
        for (int i = 0; i < headerEnd; i++) {
            for (int value : new int[] {copy[i] ^ 0xff, copy[i] ^ 0x01, random.nextInt(256)}) {
                byte saved = copy[i];
                copy[i] = (byte) value;
                parseOrFormatError(new ByteArraySource(copy), "byte " + i + " = " + value);
                copy[i] = saved;
            }
        }
        assertTrue(Arrays.equals(file, copy));
    }

    @Test
    void hugeCountsAndLengthsAtEveryOffset() throws Exception {
        long[] huge = {1L << 60, -1L, Long.MAX_VALUE, 1L << 32, 0xFFFFFFFFL, 1L << 31, file.length};
        byte[] copy = file.clone();
        for (int i = 0; i + 8 <= headerEnd; i++) {
            byte[] saved = Arrays.copyOfRange(copy, i, i + 8);
            for (long v : huge) {
                for (int b = 0; b < 8; b++) {
                    copy[i + b] = (byte) (v >>> (8 * b));
                }
                parseOrFormatError(new ByteArraySource(copy), "u64 at " + i + " = " + v);
            }
            System.arraycopy(saved, 0, copy, i, 8);
        }
    }

    @Test
    void aHugeBlockCountIsRefused() {
        byte[] file = HeaderBytes.gguf(3, 0, 2).key("general.architecture", GgufValueType.STRING).str("llama")
                .key("llama.block_count", GgufValueType.UINT32).u32(Integer.MAX_VALUE).bytes();
        GgufFormatException e = assertThrows(GgufFormatException.class,
                () -> GgufAnalyzer.analyze(List.of(GgufReader.read(new ByteArraySource(file)))));
        assertTrue(e.getMessage().contains("llama.block_count is 2147483647 but the model has 0 tensors"),
                e.getMessage());
        byte[] tooManyForTheTensors = HeaderBytes.gguf(3, 1, 2).key("general.architecture", GgufValueType.STRING)
                .str("llama").key("llama.block_count", GgufValueType.UINT32).u32(2)
                .tensor("blk.0.a", GgmlType.F32, 0, 8).align(32).zeros(32).bytes();
        e = assertThrows(GgufFormatException.class, () -> GgufAnalyzer.analyze(
                List.of(GgufReader.read(new ByteArraySource(tooManyForTheTensors)))));
        assertTrue(e.getMessage().endsWith("llama.block_count is 2 but the model has 1 tensors"), e.getMessage());
    }

    @Test
    void aFourGigabyteStringInAHugeFileIsRefusedWithoutAllocatingIt() {
        byte[] header = HeaderBytes.gguf(3, 0, 1).u64(4L << 30).bytes();
        ByteSource fiveGigabytes = new ByteSource() {
            @Override
            public long size() {
                return 5L << 30;
            }

            @Override
            public byte[] read(long offset, int length) {
                byte[] b = new byte[length];
                if (offset < header.length) {
                    System.arraycopy(header, (int) offset, b, 0, Math.min(length, header.length - (int) offset));
                }
                return b;
            }

            @Override
            public String describe() {
                return "memory";
            }
        };
        long before = THREADS.getCurrentThreadAllocatedBytes();
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufReader.read(fiveGigabytes));
        assertTrue(e.getMessage().contains("is 4294967296 bytes, over the limit"), e.getMessage());
        assertTrue(THREADS.getCurrentThreadAllocatedBytes() - before < 1 << 20);
    }
}
