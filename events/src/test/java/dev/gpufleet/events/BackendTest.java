package dev.gpufleet.events;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The backends' names, one list for every service. */
class BackendTest {
    @Test
    void namesAndAliases() {
        assertEquals(Backend.NAMES, Arrays.stream(Backend.values()).map(Backend::label).toList());
        assertEquals(Optional.of(Backend.MINDIE), Backend.of(" Ascend-MindIE "));
        assertEquals(Optional.of(Backend.VOX_BOX), Backend.of("VOX-BOX"));
        assertEquals(Optional.empty(), Backend.of("tgi"));
        assertEquals(Optional.empty(), Backend.of(null));
        assertEquals(List.of("llama-box", "vllm", "vox-box", "mindie"), Backend.NAMES);
    }
}
