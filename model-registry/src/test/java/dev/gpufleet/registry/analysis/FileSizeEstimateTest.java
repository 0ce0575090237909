package dev.gpufleet.registry.analysis;

import dev.gpufleet.events.ModelAnalysis;
import dev.gpufleet.events.ModelSource;
import dev.gpufleet.events.ResourceEstimate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FileSizeEstimateTest {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final ModelSource HUB = new ModelSource(ModelSource.HUGGINGFACE, "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
            "*q4_k_m.gguf", null, null, null, null);
    static final ModelSource SCOPE = new ModelSource(ModelSource.MODELSCOPE, null, null, null, "qwen/Qwen2.5-7B",
            null, null);

    static ModelSource local(String path) {
        return ModelSource.localPath(path);
    }

    static Arguments row(String why, ModelSource source, LocalFile file, ModelAnalysis.State state, String message,
                         ResourceEstimate estimate) {
        return Arguments.of(why, source, file, new Analysis(new ModelAnalysis(state, message), estimate));
    }

    static Stream<Arguments> table() {
        long tiny = (long) (12.3 * MIB);
        return Stream.of(
                row("a readable GGUF file: its size plus 256 MiB, as RAM and VRAM", local("/models/tiny.gguf"),
                        LocalFile.file("/models/tiny.gguf", tiny), ModelAnalysis.State.ANALYZED,
                        "file size 12.3 MiB; full analysis comes later",
                        new ResourceEstimate(tiny + 256 * MIB, tiny + 256 * MIB)),
                row("a big one", local("/models/Qwen2.5-7B-Q4_K_M.GGUF"),
                        LocalFile.file("/models/Qwen2.5-7B-Q4_K_M.GGUF", 4_683_073_184L), ModelAnalysis.State.ANALYZED,
                        "file size 4.4 GiB; full analysis comes later",
                        new ResourceEstimate(4_683_073_184L + 256 * MIB, 4_683_073_184L + 256 * MIB)),
                row("an empty file still needs the allowance", local("/m/empty.gguf"),
                        LocalFile.file("/m/empty.gguf", 0), ModelAnalysis.State.ANALYZED,
                        "file size 0 B; full analysis comes later", new ResourceEstimate(256 * MIB, 256 * MIB)),
                row("a missing file fails the analysis", local("/models/gone.gguf"),
                        LocalFile.missing("/models/gone.gguf"), ModelAnalysis.State.FAILED,
                        "cannot read /models/gone.gguf: no such file or directory", null),
                row("an unreadable one too, saying why", local("/models/locked.gguf"),
                        LocalFile.unreadable("/models/locked.gguf", "permission denied"), ModelAnalysis.State.FAILED,
                        "cannot read /models/locked.gguf: permission denied", null),
                row("a directory waits for the full analysis", local("/models/Qwen2.5-7B"),
                        LocalFile.directory("/models/Qwen2.5-7B"), ModelAnalysis.State.PENDING,
                        "/models/Qwen2.5-7B is a directory; full analysis comes later", null),
                row("a file that is not GGUF too", local("/models/model.safetensors"),
                        LocalFile.file("/models/model.safetensors", GIB), ModelAnalysis.State.PENDING,
                        "not a GGUF file; full analysis comes later", null),
                row("hub sources wait for the full analysis", HUB, null, ModelAnalysis.State.PENDING, null, null),
                row("ModelScope too", SCOPE, null, ModelAnalysis.State.PENDING, null, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void estimates(String why, ModelSource source, LocalFile file, Analysis expected) {
        assertEquals(expected, FileSizeEstimate.of(source, file));
    }

    @ParameterizedTest(name = "{0} bytes -> {1}")
    @CsvSource({
            "0,             0 B",
            "1023,          1023 B",
            "1024,          1.0 KiB",
            "12897484,      12.3 MiB",
            "1073741824,    1.0 GiB",
            "4683073184,    4.4 GiB",
            "1649267441664, 1.5 TiB",
    })
    void sizesReadLikeAPerson(long bytes, String expected) {
        assertEquals(expected, FileSizeEstimate.size(bytes));
    }
}
