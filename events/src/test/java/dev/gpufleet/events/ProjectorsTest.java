package dev.gpufleet.events;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's projector rule, one copy for the registry and the agent. */
class ProjectorsTest {
    @Test
    void theHigherPrecisionProjectorWinsWhateverTheCase() {
        assertEquals(Optional.of("mmproj-model-F32.gguf"), Projectors.choose(List.of("model-Q4_K_M.gguf",
                "mmproj-model-f16.gguf", "mmproj-model-F32.gguf")), "f32 before f16, not the last name");
        assertEquals(Optional.of("mmproj-f16.gguf"), Projectors.choose(List.of("mmproj-Q8_0.gguf",
                "mmproj-f16.gguf")));
        assertEquals(Optional.of("mmproj-b.gguf"), Projectors.choose(List.of("mmproj-a.gguf", "mmproj-b.gguf")),
                "equal precision: by name, descending");
        assertEquals(Optional.empty(), Projectors.choose(List.of("model.gguf", "mmproj.bin")));
    }

    @Test
    void theUsersProjectorInEveryFlagForm() {
        assertEquals("a.gguf", Projectors.userProjector(List.of("--mmproj", "a.gguf")));
        assertEquals("b.gguf", Projectors.userProjector(List.of("--mmproj=a.gguf", "--mmproj b.gguf")));
        assertNull(Projectors.userProjector(List.of("--ctx-size", "4096")));
        assertTrue(Projectors.relative("vision/mmproj-f16.gguf"));
        assertFalse(Projectors.relative("/models/mmproj.gguf"));
        assertFalse(Projectors.relative("C:\\models\\mmproj.gguf"));
        assertEquals(List.of("-c", "2048", "--mmproj", "/m/x.gguf"),
                Projectors.withProjector(List.of("--mmproj", "x.gguf", "-c", "2048"), "/m/x.gguf"));
    }
}
