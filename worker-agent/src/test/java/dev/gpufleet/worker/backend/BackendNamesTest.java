package dev.gpufleet.worker.backend;

import dev.gpufleet.events.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The agent's backend constants are the shared names, and it reads a plan's backend by the shared rule. */
class BackendNamesTest {
    @Test
    void theAgentsNamesAreTheSharedOnes() {
        assertEquals(Backend.NAMES, List.of(LaunchPlanner.LLAMA_BOX, LaunchPlanner.VLLM, LaunchPlanner.VOX_BOX,
                LaunchPlanner.MINDIE));
        assertEquals("mindie", LaunchPlanner.canonicalBackend("ascend-mindie"));
        assertEquals("llama-box", LaunchPlanner.canonicalBackend(""));
        assertNull(LaunchPlanner.canonicalBackend("tgi"));
    }
}
