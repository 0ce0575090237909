package dev.gpufleet.bench;

import dev.gpufleet.demomodel.DemoModel;
import dev.gpufleet.demomodel.Preset;
import dev.gpufleet.demomodel.TensorType;
import dev.gpufleet.registry.analysis.ByteSource;
import dev.gpufleet.registry.analysis.ModelArchitecture;
import dev.gpufleet.registry.gguf.GgufAnalyzer;
import dev.gpufleet.registry.gguf.GgufFile;
import dev.gpufleet.registry.gguf.GgufReader;
import dev.gpufleet.registry.gguf.LocalFileSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Header analysis (parse + analyse) of demo-model GGUF files, the largest over 60 MiB: warm p50/p99 per analysis
 * and the bytes read from the file. Target: under 2 ms warm, and far under 1 MiB read for a small header.
 * Usage: {@code bench/run ggufHeader [ITERATIONS]} (default 2000).
 */
public final class GgufHeaderBench {

    /** Counts what the parser asks for: what a remote (HTTP Range) analysis would download. */
    static final class CountingSource implements ByteSource {
        private final ByteSource inner;
        long bytes;
        int reads;

        CountingSource(ByteSource inner) {
            this.inner = inner;
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            bytes += length;
            reads++;
            return inner.read(offset, length);
        }

        @Override
        public String describe() {
            return inner.describe();
        }
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        Path dir = Files.createTempDirectory("gguf-header-bench");
        try {
            System.out.printf("GGUF header analysis, warm, %d iterations each (JDK %s)%n%n", iterations,
                    Runtime.version());
            System.out.println("| file | size MiB | kv / tensors | header bytes | bytes read | reads | first ms "
                    + "| p50 ms | p99 ms |");
            System.out.println("|---|---|---|---|---|---|---|---|---|");
            for (TensorType type : List.of(TensorType.Q8_0, TensorType.F16, TensorType.F32)) {
                Path file = dir.resolve("demo-" + type.cliName() + ".gguf");
                DemoModel.write(Preset.DEMO, type, DemoModel.DEFAULT_SEED, file);
                row(file, iterations);
                Files.delete(file);
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void row(Path file, int iterations) throws Exception {
        long firstStart = System.nanoTime();
        CountingSource counted;
        GgufFile header;
        ModelArchitecture analysis;
        try (LocalFileSource local = new LocalFileSource(file)) {
            counted = new CountingSource(local);
            header = GgufReader.read(counted);
            analysis = GgufAnalyzer.analyze(List.of(header));
        }
        double firstMs = (System.nanoTime() - firstStart) / 1e6;

        int warmup = Math.max(200, iterations / 2);
        long[] nanos = new long[iterations];
        for (int i = -warmup; i < iterations; i++) {
            long t = System.nanoTime();
            try (LocalFileSource local = new LocalFileSource(file)) {
                GgufAnalyzer.analyze(List.of(GgufReader.read(local)));
            }
            if (i >= 0) {
                nanos[i] = System.nanoTime() - t;
            }
        }
        Arrays.sort(nanos);
        System.out.printf("| %s (%s, %d layers) | %.1f | %d / %d | %d | %d | %d | %.2f | %.3f | %.3f |%n",
                file.getFileName(), analysis.quantization(), analysis.layers(), header.fileBytes() / 1048576.0,
                header.metadata().size(), header.tensors().size(), header.dataOffset(), counted.bytes, counted.reads,
                firstMs, nanos[iterations / 2] / 1e6, nanos[(int) (iterations * 0.99)] / 1e6);
    }
}
