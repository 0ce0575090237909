package dev.gpufleet.worker.backend;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A local model's {@code --mmproj} relative to its source is the file in the model's directory. */
class LocalProjectorTest {
    @Test
    void aRelativeMmprojIsResolvedAgainstTheModelsDirectory() {
        assertEquals(List.of("-c", "2048", "--mmproj", "/models/qwen-vl/vision/mmproj-f16.gguf"),
                LaunchPlanner.projectorResolved("/models/qwen-vl/model.gguf",
                        List.of("--mmproj=vision/mmproj-f16.gguf", "-c", "2048")));
        List<String> absolute = List.of("--mmproj", "/opt/p/mmproj.gguf");
        assertEquals(absolute, LaunchPlanner.projectorResolved("/models/qwen-vl/model.gguf", absolute));
        List<String> none = List.of("-c", "2048");
        assertEquals(none, LaunchPlanner.projectorResolved("/models/qwen-vl/model.gguf", none));
    }
}
