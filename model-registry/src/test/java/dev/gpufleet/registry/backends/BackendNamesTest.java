package dev.gpufleet.registry.backends;

import dev.gpufleet.events.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The registry's backend constants are the shared names. */
class BackendNamesTest {
    @Test
    void theRegistrysNamesAreTheSharedOnes() {
        assertEquals(Backend.NAMES, List.of(BackendSelector.LLAMA_BOX, BackendSelector.VLLM, BackendSelector.VOX_BOX,
                BackendSelector.MINDIE));
        assertEquals(Backend.NAMES, BackendSelector.ALL);
    }
}
