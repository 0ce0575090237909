package dev.gpufleet.worker.backend;

import dev.gpufleet.events.ModelSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ModelLocationTest {
    private static final Set<Path> READABLE = Set.of(Path.of("/models/demo.gguf"));

    static Stream<Arguments> sources() {
        String later = ": downloads come in a later release; register the model with a local_path source pointing "
                + "at a file on this worker for now";
        return Stream.of(
                arguments(ModelSource.localPath("/models/demo.gguf"), new ModelLocation("/models/demo.gguf", null)),
                arguments(ModelSource.localPath("/models/missing.gguf"),
                        new ModelLocation(null, "model file not found: /models/missing.gguf")),
                arguments(ModelSource.localPath(" "), new ModelLocation(null, "model source local_path has no path")),
                arguments(ModelSource.localPath("bad\0path"),
                        new ModelLocation(null, "model file not found: bad\0path")),
                arguments(new ModelSource("huggingface", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "q4.gguf", null, null,
                        null, null), new ModelLocation(null, "model source huggingface" + later)),
                arguments(new ModelSource("modelscope", null, null, null, "qwen/x", "x.gguf", null),
                        new ModelLocation(null, "model source modelscope" + later)),
                arguments(new ModelSource("s3", null, null, null, null, null, null), new ModelLocation(null,
                        "model source type 's3' is not one of huggingface, modelscope, local_path")),
                arguments(null, new ModelLocation(null, "the launch plan has no model source")));
    }

    @ParameterizedTest
    @MethodSource("sources")
    void resolves(ModelSource source, ModelLocation expected) {
        assertEquals(expected, ModelLocation.of(source, READABLE::contains));
    }
}
